import { Type, type Static } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject, tpl } from "../../../policy-primitives/schema-builders.js";

/**
 * The NICs area of the domain kind: `interfaces[]`. A NIC attaches to exactly one of a
 * libvirt network (`network`, optionally a `portgroup` of it), a host bridge (`bridge`) or a
 * host NIC through macvtap (`direct`, with `macvtapMode`); policy-load rules in semantics.ts.
 *
 * Contract for additions: a new spec field is optional and left out by the resolver when the
 * policy does not set it (the spec hash of a guest that does not use it stays the same).
 */

import { NIC_LINK_STATES, NIC_MACVTAP_MODES, NIC_MAX_QUEUES, NIC_MODELS } from "./values.js";

export { NIC_LINK_STATES, NIC_MACVTAP_MODES, NIC_MAX_QUEUES, NIC_MODELS };

const rateValue = (what: string) => Type.Integer({ minimum: 1, maximum: 4294967295, description: what });

const NicRateDocumentSchema = obj(
  {
    average: rateValue("Average rate in kbytes/s (libvirt's unit)."),
    peak: rateValue("Peak rate in kbytes/s."),
    burst: rateValue("kbytes that may be sent at peak rate."),
  },
  ["average"],
);

export const InterfaceDocumentSchema = obj(
  {
    network: tpl("resourceName", "the name of a libvirt network"),
    portgroup: tpl("resourceName", "a port group of `network`"),
    bridge: tpl("bridgeName", "an existing Linux bridge on the host (<interface type='bridge'>)"),
    direct: tpl("bridgeName", "a host NIC the guest gets a macvtap port on (<interface type='direct'>)"),
    macvtapMode: choice(NIC_MACVTAP_MODES, {
      description: "bridge | vepa | private | passthrough (only with direct). Default: libvirt's (vepa).",
    }),
    model: choice(NIC_MODELS, { description: "virtio | e1000 | e1000e | rtl8139. Default virtio." }),
    mac: tpl("mac", "a unicast MAC address (aa:bb:cc:dd:ee:ff)"),
    vlan: Type.Integer({
      minimum: 1,
      maximum: 4094,
      description:
        "802.1Q VLAN tag (<vlan><tag id/>). libvirt tags only on Open vSwitch bridges and SR-IOV virtual functions: a `bridge` that is an Open vSwitch bridge (checked on the host; the NIC gets <virtualport type='openvswitch'/>), a network of mode hostdev, macvtap passthrough or bridge with virtualport openvswitch, or `direct` with macvtapMode passthrough on a virtual function.",
    }),
    bandwidth: obj({ inbound: NicRateDocumentSchema, outbound: NicRateDocumentSchema }, [], {
      description: "Rate limits in kbytes/s as libvirt takes them (<bandwidth>). Applied live.",
    }),
    link: choice(NIC_LINK_STATES, { description: "up | down (<link state>). Applied live. Default up." }),
    bootIndex: Type.Integer({ minimum: 1, maximum: 65535, description: "Boot order of this NIC (<boot order>)." }),
    queues: Type.Integer({
      minimum: 1,
      maximum: NIC_MAX_QUEUES,
      description: "Multiqueue virtio-net: queue pairs (<driver queues>). Only with model virtio.",
    }),
  },
  [],
  {
    description:
      'A NIC: exactly one of network, bridge or direct. Without mac, one is derived: 52:54:00 + the first 3 bytes of sha256("<domain>/<index>").',
  },
);

export const NICS_DOCUMENT_FIELDS = {
  interfaces: list(InterfaceDocumentSchema, "Default []."),
};

export const NicRateSpecSchema = resolvedObject({
  average: Type.Integer(),
  peak: Type.Optional(Type.Integer()),
  burst: Type.Optional(Type.Integer()),
});
export type NicRateSpec = Static<typeof NicRateSpecSchema>;

export const NicBandwidthSpecSchema = resolvedObject({
  inbound: Type.Optional(NicRateSpecSchema),
  outbound: Type.Optional(NicRateSpecSchema),
});
export type NicBandwidthSpec = Static<typeof NicBandwidthSpecSchema>;

/**
 * A resolved NIC. Exactly one of network / bridge / direct is set (an older bundle always
 * has `network`). Every other field but model and mac is left out when the policy does not
 * set it.
 */
export const InterfaceSpecSchema = resolvedObject({
  network: Type.Optional(Type.String()),
  portgroup: Type.Optional(Type.String()),
  bridge: Type.Optional(Type.String()),
  direct: Type.Optional(Type.String()),
  macvtapMode: Type.Optional(oneOf(NIC_MACVTAP_MODES)),
  model: oneOf(NIC_MODELS),
  /** Always set: pinned by the policy or derived stably from domain name + index. */
  mac: Type.String(),
  vlan: Type.Optional(Type.Integer()),
  /** At least one direction when present. */
  bandwidth: Type.Optional(NicBandwidthSpecSchema),
  link: Type.Optional(oneOf(NIC_LINK_STATES)),
  bootIndex: Type.Optional(Type.Integer()),
  queues: Type.Optional(Type.Integer()),
});
export type InterfaceSpec = Static<typeof InterfaceSpecSchema>;

export const NICS_SPEC_FIELDS = {
  interfaces: Type.Array(InterfaceSpecSchema),
};
