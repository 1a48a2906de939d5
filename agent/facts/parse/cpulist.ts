/**
 * Parses a kernel CPU list (`/sys/.../cpulist`, `/sys/devices/system/cpu/online`):
 * comma-separated ids and inclusive ranges, optionally with the kernel's group syntax
 * (`0-15:2/4`: the first 2 of every 4). Returns ascending, de-duplicated ids; empty text → [].
 * Throws a SyntaxError on anything else.
 */
export function parseCpuList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const ids = new Set<number>();
  for (const part of trimmed.split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part.trim());
    if (!m) throw new SyntaxError(`invalid CPU list item "${part}" in "${trimmed}"`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (end < start || used < 1 || group < used) throw new SyntaxError(`invalid CPU range "${part}" in "${trimmed}"`);
    for (let base = start; base <= end; base += group) {
      for (let i = base; i < base + used && i <= end; i++) ids.add(i);
    }
  }
  return [...ids].sort((a, b) => a - b);
}
