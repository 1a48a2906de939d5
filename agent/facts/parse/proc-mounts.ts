/** One line of `/proc/mounts` (fstab format), with octal escapes (`\040`) decoded. */
export interface MountEntry {
  device: string;
  mountpoint: string;
  type: string;
  options: string[];
}

/** Parses `/proc/mounts` or `/proc/self/mounts`. Lines with fewer than 3 fields are skipped. */
export function parseProcMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || cols[0] === "") continue;
    out.push({
      device: unescapeOctal(cols[0]),
      mountpoint: unescapeOctal(cols[1]),
      type: cols[2],
      options: cols[3] === undefined ? [] : cols[3].split(","),
    });
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
