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
import { MACVTAP_MODES, NETWORK_MODES, NETWORK_STATES, VIRTUALPORT_TYPES } from "./modes.js";

/**
 * The network kind: a libvirt virtual network (`spec.resources.networks[]`), identity `network/NAME`.
 * `overlay` (VXLAN across hosts) is not a mode yet: it belongs to the fleet-operations work.
 */

export {
  MACVTAP_MODES,
  NETWORK_MODES,
  NETWORK_STATES,
  type NetworkMode,
  ROUTED_MODES,
  VIRTUALPORT_TYPES,
} from "./modes.js";

const DhcpHostDocumentSchema = obj(
  {
    mac: tpl("mac", "a MAC address (aa:bb:cc:dd:ee:ff)"),
    ip: tpl("ipv4", "an IPv4 address inside the subnet"),
    name: tpl("hostname", "a host name"),
  },
  ["mac", "ip"],
);

const Dhcp6HostDocumentSchema = obj(
  {
    id: tpl("duid", "the client's DHCPv6 DUID (hex bytes separated by ':')"),
    ip: tpl("ipv6", "an IPv6 address inside the subnet"),
    name: tpl("hostname", "a host name"),
  },
  ["ip"],
  {
    description:
      "A static DHCPv6 lease, matched by the client's DUID (`id`) or its host name; one of them is required.",
  },
);

const BandwidthRateSchema = obj(
  {
    average: Type.Integer({ minimum: 1, maximum: 4294967295, description: "Average rate in KiB/s." }),
    peak: Type.Integer({ minimum: 1, maximum: 4294967295, description: "Peak rate in KiB/s." }),
    burst: Type.Integer({ minimum: 1, maximum: 4294967295, description: "KiB sent at peak rate." }),
  },
  ["average"],
);

const PortgroupDocumentSchema = obj(
  {
    name: resourceNameField(),
    vlan: Type.Integer({ minimum: 1, maximum: 4094, description: "802.1Q VLAN tag of the port group's ports." }),
    default: Type.Boolean({ description: "The port group of interfaces that name none. Default false." }),
    bandwidth: obj({ inbound: BandwidthRateSchema, outbound: BandwidthRateSchema }, []),
  },
  ["name"],
);

/** One entry of `spec.resources.networks` as a policy document writes it. */
export const NetworkDocumentSchema = obj(
  {
    name: resourceNameField(),
    mode: choice(NETWORK_MODES, {
      description: "nat | route | open | isolated | bridge | macvtap | hostdev (required unless state is absent).",
    }),
    bridge: tpl("bridgeName", "a Linux interface name of at most 15 characters"),
    domain: tpl("hostname", "the network's DNS domain"),
    mtu: Type.Integer({ minimum: 68, maximum: 65535, description: "Default: libvirt's." }),
    nat: obj(
      {
        portStart: Type.Integer({ minimum: 1, maximum: 65535 }),
        portEnd: Type.Integer({ minimum: 1, maximum: 65535 }),
      },
      ["portStart", "portEnd"],
      { description: "Source port range NAT uses (mode nat). Default: libvirt's 1024-65535." },
    ),
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
    ipv6: obj(
      {
        address: tpl("ipv6", "an IPv6 address: the host's address on the network"),
        prefix: Type.Integer({ minimum: 1, maximum: 128, description: "subnet prefix length" }),
        dhcp: obj(
          {
            start: tpl("ipv6", "an IPv6 address inside the subnet"),
            end: tpl("ipv6", "an IPv6 address inside the subnet"),
            hosts: list(Dhcp6HostDocumentSchema, "Static DHCPv6 leases. Default []."),
          },
          ["start", "end"],
        ),
      },
      ["address", "prefix"],
      { description: "IPv6 address and optional DHCPv6 range. Default: none." },
    ),
    dns: obj(
      {
        hosts: list(
          obj(
            {
              ip: Type.String({ description: "an IPv4 or IPv6 address" }),
              names: list(tpl("hostname", "a host name"), "Names answered with this address."),
            },
            ["ip", "names"],
          ),
          "Extra DNS host entries served by the network. Default [].",
        ),
        forwarders: list(
          Type.String({ description: "an IPv4 or IPv6 address" }),
          "Upstream DNS servers. Default: the host's resolvers.",
        ),
      },
      [],
    ),
    portgroups: list(PortgroupDocumentSchema, "Port groups guests' interfaces can name. Default []."),
    virtualport: choice(VIRTUALPORT_TYPES, { description: "openvswitch: mode bridge on an Open vSwitch bridge." }),
    interface: tpl("bridgeName", "the host NIC macvtap ports are made on (mode macvtap)"),
    macvtapMode: choice(MACVTAP_MODES, { description: "bridge | vepa | private | passthrough (mode macvtap)." }),
    pf: tpl("bridgeName", "the SR-IOV physical function whose VFs are the pool (mode hostdev)"),
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

export const Dhcp6HostSpecSchema = resolvedObject({
  id: nullable(Type.String()),
  /** Canonical form (RFC 5952, as libvirt writes it back). */
  ip: Type.String(),
  name: nullable(Type.String()),
});
export type Dhcp6HostSpec = Static<typeof Dhcp6HostSpecSchema>;

export const DnsHostSpecSchema = resolvedObject({ ip: Type.String(), names: Type.Array(Type.String()) });
export type DnsHostSpec = Static<typeof DnsHostSpecSchema>;

const RateSpecSchema = resolvedObject({
  average: Type.Integer(),
  peak: nullable(Type.Integer()),
  burst: nullable(Type.Integer()),
});
export type RateSpec = Static<typeof RateSpecSchema>;

export const PortgroupSpecSchema = resolvedObject({
  name: Type.String(),
  vlan: nullable(Type.Integer()),
  default: Type.Boolean(),
  inbound: nullable(RateSpecSchema),
  outbound: nullable(RateSpecSchema),
});
export type PortgroupSpec = Static<typeof PortgroupSpecSchema>;

const Ipv6SpecSchema = resolvedObject({
  address: Type.String(),
  prefix: Type.Integer(),
  dhcp: nullable(resolvedObject({ start: Type.String(), end: Type.String(), hosts: Type.Array(Dhcp6HostSpecSchema) })),
});
export type Ipv6Spec = Static<typeof Ipv6SpecSchema>;

/**
 * A resolved network: defaults applied, MACs lower-case, IPv6 addresses canonical. The
 * fields after `mtu` up to `pf` are optional so that a bundle from a controller of the
 * previous release (which does not write them) still passes: absent = null / empty
 * (`completeNetworkSpec`).
 */
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
  domain: Type.Optional(nullable(Type.String())),
  nat: Type.Optional(nullable(resolvedObject({ portStart: Type.Integer(), portEnd: Type.Integer() }))),
  ipv6: Type.Optional(nullable(Ipv6SpecSchema)),
  dns: Type.Optional(resolvedObject({ hosts: Type.Array(DnsHostSpecSchema), forwarders: Type.Array(Type.String()) })),
  portgroups: Type.Optional(Type.Array(PortgroupSpecSchema)),
  virtualport: Type.Optional(nullable(oneOf(VIRTUALPORT_TYPES))),
  interface: Type.Optional(nullable(Type.String())),
  macvtapMode: Type.Optional(nullable(oneOf(MACVTAP_MODES))),
  pf: Type.Optional(nullable(Type.String())),
  autostart: Type.Boolean(),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(NETWORK_STATES),
});
export type NetworkSpec = Static<typeof NetworkSpecSchema>;

/** A NetworkSpec with every optional field present. */
export type CompleteNetworkSpec = Required<Omit<NetworkSpec, "adopt">> & Pick<NetworkSpec, "adopt">;
