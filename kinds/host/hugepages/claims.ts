import { identityKey } from "../../../policy-primitives/identity.js";
import type { Claim } from "../../policy-kind.js";
import { HOST_HUGEPAGE_SIZES, type HostHugepages } from "./sizes.js";

type Counts = HostHugepages | undefined;

/**
 * Each hugepage size a policy sets claims `hugepages/<size>` with its count as the value: two
 * policies asking for the same count agree; different counts conflict (the higher priority
 * keeps its count, policy-language/conflicts.ts).
 */
export function hugepageClaims(h: Counts): Claim[] {
  return HOST_HUGEPAGE_SIZES.filter((s) => h?.[s] !== undefined).map((s) => ({
    identity: identityKey("hugepages", s),
    kind: "hugepages" as const,
    name: s,
    value: String(h![s]),
    path: ["hugepages", s],
  }));
}

/** The counts without the sizes lost to another policy; undefined when none is left. */
export function withoutHugepageClaims(h: Counts, drop: ReadonlySet<string>): Counts {
  if (h === undefined) return undefined;
  const kept = Object.fromEntries(
    HOST_HUGEPAGE_SIZES.filter((s) => h[s] !== undefined && !drop.has(identityKey("hugepages", s))).map((s) => [
      s,
      h[s],
    ]),
  );
  return Object.keys(kept).length === 0 ? undefined : kept;
}
