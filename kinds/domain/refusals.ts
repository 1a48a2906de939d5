import type { FieldChange } from "../../common/changes.js";
import { RefusedChangeError } from "../../engine/index.js";
import type { ParsedDomain } from "./parsed.js";

/**
 * The domain changes refused as `blocked` (thrown from checkApply in dry-run and apply alike,
 * before anything is touched; see engine/refusal.ts): a `recreate` change (a definition whose
 * UUID belongs to another guest) would undefine the guest and define it again, losing what the
 * definition holds (its disks' attachment, NVRAM, snapshots). Every other domain change is
 * applied (live, or to the definition with a pending restart).
 */
export function refuseRecreate(name: string, actual: ParsedDomain, config: readonly FieldChange[]): void {
  const recreate = config.filter((c) => c.disruption === "recreate");
  if (recreate.length === 0) return;
  const disks = actual.disks.length;
  throw new RefusedChangeError(
    "blocked",
    `domain/${name}: ${recreate.map((c) => `${c.field} ${String(c.from)} → ${String(c.to)}`).join(", ")} would undefine the guest` +
      `${disks > 0 ? ` and detach its ${disks} disk${disks === 1 ? "" : "s"}` : ""}; ` +
      "to recreate it on purpose set state: absent, apply, then declare it again",
    [...config],
  );
}
