/**
 * CPU and NUMA node sets as libvirt writes them (`cpuset`, `nodeset`, NUMA `cpus`): a
 * comma-separated list of numbers and ranges (`0-3,6`). libvirt stores its own form ("0,1"
 * becomes "0-1"), so sets are compared canonically: `canonicalCpuset` turns any valid text
 * into the sorted, range-compressed form. Exclusions (`^2`) are not accepted in a policy.
 */

/** The largest CPU or node number accepted (libvirt's own limit is 16383 for CPU sets). */
export const CPUSET_MAX = 16383;

/** A cpuset text: numbers and ranges separated by commas, no spaces. */
export const CPUSET_PATTERN = "^[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*$";
const CPUSET_RE = new RegExp(CPUSET_PATTERN);

/** The members of a cpuset, sorted; null when `text` is not one (or a range runs backwards, or exceeds CPUSET_MAX). */
export function parseCpuset(text: string): number[] | null {
  if (!CPUSET_RE.test(text)) return null;
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    const end = b ?? a;
    if (end < a || end > CPUSET_MAX) return null;
    for (let i = a; i <= end; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** Sorted members → `0-3,6` (runs of two or more as ranges, as libvirt writes them). */
export function formatCpuset(members: readonly number[]): string {
  const sorted = [...new Set(members)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(",");
}

/** The canonical form of a cpuset text; the text itself when it is not a valid cpuset (compared as is). */
export function canonicalCpuset(text: string): string {
  const members = parseCpuset(text);
  return members === null ? text : formatCpuset(members);
}
