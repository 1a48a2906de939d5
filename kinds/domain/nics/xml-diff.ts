/**
 * The NICs area's diff: NICs matched by MAC (case-insensitive), in any order. Attaching or
 * detaching a NIC is `live`; a changed network or model is `restart`.
 */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedNics } from "./parsed.js";

export function diffNics(desired: DomainSpec, actual: ParsedNics, add: AddChange): void {
  const byMac = new Map(actual.interfaces.map((n) => [n.mac, n]));
  const wanted = new Set<string>();
  desired.interfaces.forEach((n, i) => {
    const mac = n.mac.toLowerCase();
    wanted.add(mac);
    const got = byMac.get(mac);
    if (got === undefined) return add(`interfaces[${i}]`, null, { network: n.network, model: n.model, mac }, "live");
    if (got.type !== "network" || got.network !== n.network) {
      add(
        `interfaces[${i}].network`,
        got.type === "network" ? got.network : `${got.type}:${got.network ?? ""}`,
        n.network,
        "restart",
      );
    }
    if (got.model !== n.model) add(`interfaces[${i}].model`, got.model, n.model, "restart");
  });
  for (const got of actual.interfaces) {
    if (!wanted.has(got.mac))
      add(`interfaces[${got.mac}]`, { network: got.network, model: got.model, mac: got.mac }, null, "live");
  }
}
