import type { TargetHost } from "../../common/index.js";
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
