/**
 * Parses `/proc/meminfo` into bytes per key (`MemTotal` → 25274793984). Values with a
 * `kB` unit are multiplied by 1024; unit-less values (`HugePages_Total`) are kept as is.
 * Lines that do not parse are skipped.
 */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    out.set(m[1], Number(m[2]) * (m[3] === "kB" ? 1024 : 1));
  }
  return out;
}

/**
 * Parses `/sys/devices/system/node/nodeN/meminfo` (`Node 0 MemTotal:  4809284 kB`) into
 * bytes per key, dropping the `Node N` prefix.
 */
export function parseNodeMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^Node\s+\d+\s+([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    out.set(m[1], Number(m[2]) * (m[3] === "kB" ? 1024 : 1));
  }
  return out;
}
