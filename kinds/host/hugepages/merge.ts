import { HOST_HUGEPAGE_SIZES, type HostHugepages } from "./sizes.js";

/** Merged counts of several policies (lowest priority first, a higher one overwrites); undefined when none sets any. */
export function mergeHugepages(byPriorityAscending: readonly (HostHugepages | undefined)[]): HostHugepages | undefined {
  const out: HostHugepages = {};
  for (const h of byPriorityAscending) for (const s of HOST_HUGEPAGE_SIZES) if (h?.[s] !== undefined) out[s] = h[s];
  return Object.keys(out).length === 0 ? undefined : out;
}
