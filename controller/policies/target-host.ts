import { describeHost, type Inventory, type TargetHost } from "../../common/index.js";
import type { HostRow } from "../store/index.js";

/** What targeting knows about a stored host: its name and facts (undefined when unparseable). */
export function targetHostOf(row: Pick<HostRow, "name" | "factsJson">): TargetHost {
  let facts: unknown;
  try {
    facts = JSON.parse(row.factsJson) as unknown;
  } catch {
    facts = undefined;
  }
  return { name: row.name, facts };
}

/** targetHostOf plus the groups and labels `inventory` gives the host: what matchTargets needs. */
export function resolvedTargetHost(row: Pick<HostRow, "name" | "factsJson">, inventory: Inventory): TargetHost {
  const info = describeHost(inventory, row.name);
  return { ...targetHostOf(row), groups: info.groups, labels: info.labels };
}
