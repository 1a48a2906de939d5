import { deriveMac } from "../../../policy-primitives/mac.js";
import type { DomainDocument, DomainSpec } from "../spec.js";

/** `interfaces[]` resolved: model default virtio, every MAC pinned (derived with `deriveMac` when not set). */
export function resolveNics(d: DomainDocument): Pick<DomainSpec, "interfaces"> {
  return {
    interfaces: (d.interfaces ?? []).map((nic, i) => ({
      network: nic.network,
      model: nic.model ?? "virtio",
      mac: nic.mac ? nic.mac.toLowerCase() : deriveMac(d.name, i),
    })),
  };
}
