import { describeHost, type Inventory, type TargetHost } from "../../common/index.js";
import type { HostRow } from "../store/index.js";

/** What targeting knows about a stored host: its name and facts (undefined when unparseable). */
export function targetHostOf(row: Pick<HostRow, "name" | "factsJson">): TargetHost {
  const json = row.factsJson;
  let parsed: { facts: unknown } | undefined;
  // Parsed on first read: targeting reads facts only for policies that target by facts.
  return {
    name: row.name,
    get facts(): unknown {
      parsed ??= { facts: parseFacts(json) };
      return parsed.facts;
    },
  };
}

function parseFacts(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** targetHostOf plus the groups and labels `inventory` gives the host: what matchTargets needs. */
export function resolvedTargetHost(row: Pick<HostRow, "name" | "factsJson">, inventory: Inventory): TargetHost {
  const info = describeHost(inventory, row.name);
  const target = targetHostOf(row);
  return {
    name: target.name,
    groups: info.groups,
    labels: info.labels,
    get facts(): unknown {
      return target.facts;
    },
  };
}
