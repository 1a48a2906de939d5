import { VirtfleetError } from "../../common/errors.js";
import type { Hypervisor } from "../../libvirt/index.js";
import { orNull } from "../resource-context.js";
import { clashOf, footprintOf } from "./footprint.js";
import { completeNetworkSpec } from "./complete.js";
import type { NetworkSpec } from "./spec.js";
import { parseNetworkXml } from "./xml-parse.js";

/** A network would take a bridge or subnet another network of the bundle or of the host takes. */
export class NetworkClashError extends VirtfleetError {
  constructor(
    readonly network: string,
    readonly other: string,
    readonly what: string,
    where: string,
  ) {
    super(
      "NETWORK_CLASH",
      `network ${network} takes the ${what} that network ${other} ${where} takes already: give each network its own bridge and subnet (or remove ${other}); the network was not defined or changed`,
    );
  }
}

/** A network declared by a policy of the bundle (with the policy's name). */
export interface DeclaredNetwork {
  spec: NetworkSpec;
  policy: string;
}

/**
 * Before a present network is defined or changed (dry-run and apply alike, so the plan stage
 * shows it): it must not clash (footprint.ts: one bridge libvirt creates, overlapping IPv4
 * or IPv6 subnets) with another present network of the bundle (`declared`, which holds
 * this one too) nor with a network that already exists on the host under another name and
 * that the bundle does not declare (declared ones are checked as declared: the bundle may
 * be moving them). Throws NetworkClashError naming the other network and where it is.
 */
export async function checkNetworkClashes(
  spec: NetworkSpec,
  declared: readonly DeclaredNetwork[],
  hv: Hypervisor,
  host = "this host",
): Promise<void> {
  if (spec.state === "absent") return;
  const mine = footprintOf(completeNetworkSpec(spec));
  const names = new Set(declared.map((d) => d.spec.name));
  for (const d of declared) {
    if (d.spec.name === spec.name || d.spec.state === "absent") continue;
    const what = clashOf(mine, footprintOf(completeNetworkSpec(d.spec)));
    if (what) throw new NetworkClashError(spec.name, d.spec.name, what, `(policy ${d.policy})`);
  }
  for (const ref of await hv.networks()) {
    if (ref.name === spec.name || names.has(ref.name)) continue;
    const xml = await orNull(hv.networkXml(ref, { inactive: true }));
    if (xml === null) continue;
    const what = clashOf(mine, footprintOf(parseNetworkXml(xml)));
    if (what) throw new NetworkClashError(spec.name, ref.name, what, `(already on ${host})`);
  }
}
