import { inHostOrder } from "../../agent/link/index.js";

/**
 * The controller addresses a simulated agent tries, in its own order: `list` is one address or
 * several replicas' separated by commas (as `--controller a,b,c`); each host's order is the
 * real agent's (agent/link/controller-choice.ts inHostOrder: a permutation seeded by a hash of
 * its name), so a fleet's first choices spread evenly over the replicas and a failed replica's
 * hosts spread evenly over the others. Each entry keeps its index in `list` (for per-replica
 * counters).
 */
export function agentTargets(list: string, host: string): { index: number; address: string }[] {
  const addresses = splitAddresses(list);
  return inHostOrder(
    addresses.map((address, index) => ({ index, address })),
    host,
  );
}

/** The addresses of a comma-separated list (at least one; blanks refused). */
export function splitAddresses(list: string): string[] {
  const addresses = list.split(",").map((a) => a.trim());
  if (addresses.length === 0 || addresses.some((a) => a === ""))
    throw new Error(`a controller address list needs addresses separated by commas, got "${list}"`);
  return addresses;
}
