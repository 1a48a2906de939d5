import { describeHost, type Inventory, type TargetHost } from "../../common/index.js";
import type { HostRow } from "../hosts/index.js";

/** What targeting knows about a stored host: its name and facts (undefined when unparseable). */
export function targetHostOf(row: Pick<HostRow, "name" | "factsJson">): TargetHost {
  return lazyTargetHost(row.name, () => row.factsJson);
}

/**
 * A host for targeting whose facts are read (`factsJson`, e.g. from the store) and parsed on
 * first use only: targeting and templating read facts only for policies that use them, so a
 * fleet-wide pass over policies that target by group or label reads no facts at all.
 */
export function lazyTargetHost(name: string, factsJson: () => string | undefined): TargetHost {
  let parsed: { facts: unknown } | undefined;
  return {
    name,
    get facts(): unknown {
      if (!parsed) {
        const json = factsJson();
        parsed = { facts: json === undefined ? undefined : parseFacts(json) };
      }
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
  return withInventory(targetHostOf(row), inventory);
}

/** `target` plus the groups and labels `inventory` gives it (facts stay as lazy as they were). */
export function withInventory(target: TargetHost, inventory: Inventory): TargetHost {
  const info = describeHost(inventory, target.name);
  return {
    name: target.name,
    groups: info.groups,
    labels: info.labels,
    get facts(): unknown {
      return target.facts;
    },
  };
}
