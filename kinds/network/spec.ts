import { type Static, Type } from "@sinclair/typebox";
import {
  choice,
  list,
  nullable,
  obj,
  oneOf,
  resolvedObject,
  requiredUnlessAbsent,
  resourceNameField,
  tpl,
} from "../../policy-primitives/schema-builders.js";

/** The network kind: a libvirt virtual network (`spec.resources.networks[]`), identity `network/NAME`. */

export const NETWORK_MODES = ["nat", "route", "isolated", "bridge"] as const;
export const NETWORK_STATES = ["active", "inactive", "absent"] as const;

const DhcpHostDocumentSchema = obj(
  {
    mac: tpl("mac", "a MAC address (aa:bb:cc:dd:ee:ff)"),
    ip: tpl("ipv4", "an IPv4 address inside the subnet"),
    name: tpl("hostname", "a host name"),
  },
  ["mac", "ip"],
);

/** One entry of `spec.resources.networks` as a policy document writes it. */
export const NetworkDocumentSchema = obj(
  {
    name: resourceNameField(),
    mode: choice(NETWORK_MODES, { description: "nat | route | isolated | bridge (required unless state is absent)." }),
    bridge: tpl("bridgeName", "a Linux interface name of at most 15 characters"),
    ipv4: obj(
      {
        address: tpl("ipv4", "an IPv4 address: the host's address on the network"),
        prefix: Type.Integer({ minimum: 1, maximum: 30, description: "subnet prefix length" }),
        dhcp: obj(
          {
            start: tpl("ipv4", "an IPv4 address inside the subnet"),
            end: tpl("ipv4", "an IPv4 address inside the subnet"),
            hosts: list(DhcpHostDocumentSchema, "Static DHCP leases. Default []."),
          },
          ["start", "end"],
        ),
      },
      ["address", "prefix"],
      { description: "IPv4 address and optional DHCP range. Not allowed with mode bridge. Default: none." },
    ),
    mtu: Type.Integer({ minimum: 68, maximum: 65535, description: "Default: libvirt's." }),
    autostart: Type.Boolean({ description: "Default false." }),
    adopt: Type.Boolean({
      description:
        "Take over an existing object of this name that virtfleet did not create (no ownership record/marker). Without it such an object is reported conflict and left alone. Default false.",
    }),
    state: choice(NETWORK_STATES, { description: "active | inactive | absent. Default active." }),
  },
  ["name"],
  { description: "A libvirt virtual network.", ...requiredUnlessAbsent(["mode"]) },
);
export type NetworkDocument = Static<typeof NetworkDocumentSchema>;

export const DhcpHostSpecSchema = resolvedObject({
  mac: Type.String(),
  ip: Type.String(),
  name: nullable(Type.String()),
});
export type DhcpHostSpec = Static<typeof DhcpHostSpecSchema>;

/** A resolved network: defaults applied, MACs lower-case. */
export const NetworkSpecSchema = resolvedObject({
  name: Type.String(),
  mode: oneOf(NETWORK_MODES),
  /** Bridge device libvirt creates, or the existing bridge for mode `bridge`; null = libvirt picks. */
  bridge: nullable(Type.String()),
  ipv4: nullable(
    resolvedObject({
      address: Type.String(),
      prefix: Type.Integer(),
      dhcp: nullable(
        resolvedObject({ start: Type.String(), end: Type.String(), hosts: Type.Array(DhcpHostSpecSchema) }),
      ),
    }),
  ),
  mtu: nullable(Type.Integer()),
  autostart: Type.Boolean(),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(NETWORK_STATES),
});
export type NetworkSpec = Static<typeof NetworkSpecSchema>;
