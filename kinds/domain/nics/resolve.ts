import { deriveMac } from "../../../policy-primitives/mac.js";
import type { DomainDocument, DomainSpec } from "../spec.js";
import type { InterfaceSpec, NicBandwidthSpec, NicRateSpec } from "./schema.js";

type InterfaceDocument = NonNullable<DomainDocument["interfaces"]>[number];
type RateDocument = NonNullable<NonNullable<InterfaceDocument["bandwidth"]>["inbound"]>;

/**
 * `interfaces[]` resolved: model default virtio, every MAC pinned (lower-case; derived with
 * `deriveMac` when not set). Every other field is copied only when the policy sets it (a
 * `bandwidth` with no direction is left out: no limits), so a NIC written as before keeps
 * its spec hash.
 */
export function resolveNics(d: DomainDocument): Pick<DomainSpec, "interfaces"> {
  return { interfaces: (d.interfaces ?? []).map((nic, i) => resolveNic(nic, d.name, i)) };
}

function resolveNic(nic: InterfaceDocument, domain: string, index: number): InterfaceSpec {
  const out: InterfaceSpec = {
    ...(nic.network !== undefined ? { network: nic.network } : {}),
    ...(nic.portgroup !== undefined ? { portgroup: nic.portgroup } : {}),
    ...(nic.bridge !== undefined ? { bridge: nic.bridge } : {}),
    ...(nic.direct !== undefined ? { direct: nic.direct } : {}),
    ...(nic.macvtapMode !== undefined ? { macvtapMode: nic.macvtapMode } : {}),
    model: nic.model ?? "virtio",
    mac: nic.mac ? nic.mac.toLowerCase() : deriveMac(domain, index),
  };
  if (nic.vlan !== undefined) out.vlan = nic.vlan;
  const bandwidth = resolveBandwidth(nic.bandwidth);
  if (bandwidth !== undefined) out.bandwidth = bandwidth;
  if (nic.link !== undefined) out.link = nic.link;
  if (nic.bootIndex !== undefined) out.bootIndex = nic.bootIndex;
  if (nic.queues !== undefined) out.queues = nic.queues;
  return out;
}

function resolveBandwidth(b: InterfaceDocument["bandwidth"]): NicBandwidthSpec | undefined {
  if (b === undefined || (b.inbound === undefined && b.outbound === undefined)) return undefined;
  return {
    ...(b.inbound !== undefined ? { inbound: rate(b.inbound) } : {}),
    ...(b.outbound !== undefined ? { outbound: rate(b.outbound) } : {}),
  };
}

function rate(r: RateDocument): NicRateSpec {
  return {
    average: r.average,
    ...(r.peak !== undefined ? { peak: r.peak } : {}),
    ...(r.burst !== undefined ? { burst: r.burst } : {}),
  };
}
