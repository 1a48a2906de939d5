import { Type } from "@sinclair/typebox";
import { choice, list, nullable, obj, oneOf, resolvedObject, tpl } from "../../../policy-primitives/schema-builders.js";

/**
 * Host networking the guests depend on (`spec.resources.host.bridges|bonds|vlans` and
 * `allowUplinkChange`): Linux bridges, bonds and VLAN sub-interfaces, converged with iproute2
 * and written to the host's persistent network configuration. The document fields are spread
 * into the host kind's document schema (kinds/host/spec.ts); the resolved spec is the host
 * spec's optional `network`.
 */

/** Bond modes as the kernel's bonding driver names them. */
export const BOND_MODES = [
  "balance-rr",
  "active-backup",
  "balance-xor",
  "broadcast",
  "802.3ad",
  "balance-tlb",
  "balance-alb",
] as const;
export type BondMode = (typeof BOND_MODES)[number];

const ifname = (description: string) => tpl("bridgeName", description);
const mtu = Type.Integer({ minimum: 68, maximum: 65535, description: "MTU in bytes. Default: not managed." });
const adopt = Type.Boolean({
  description:
    "true: take over an existing interface of this name that virtfleet did not create. Default false (conflict).",
});

const BridgeDocument = obj(
  {
    name: ifname("The bridge's interface name (at most 15 characters)."),
    interfaces: list(ifname("a member interface"), "Member interfaces (enslaved to the bridge). Default []."),
    stp: Type.Boolean({ description: "Spanning tree on. Default false." }),
    mtu,
    vlanFiltering: Type.Boolean({ description: "VLAN filtering on. Default false." }),
    adopt,
  },
  ["name"],
);

const BondDocument = obj(
  {
    name: ifname("The bond's interface name (at most 15 characters)."),
    mode: choice(BOND_MODES, { description: "Bonding mode. Default balance-rr." }),
    interfaces: list(ifname("a slave interface"), "Slave interfaces. Default []."),
    miimon: Type.Integer({ minimum: 0, maximum: 2147483647, description: "MII link monitoring in ms. Default 100." }),
    mtu,
    adopt,
  },
  ["name"],
);

const VlanDocument = obj(
  {
    name: ifname("The VLAN interface's name (at most 15 characters), e.g. eno1.20."),
    link: ifname("The parent interface."),
    id: Type.Integer({ minimum: 1, maximum: 4094, description: "802.1Q VLAN id, 1 to 4094." }),
    mtu,
    adopt,
  },
  ["name", "link", "id"],
);

/** The host document's networking fields. */
export const HOST_NETWORK_DOCUMENT_FIELDS = {
  bridges: list(BridgeDocument, "Linux bridges with their member interfaces. Default []."),
  bonds: list(BondDocument, "Bonds with their slave interfaces. Default []."),
  vlans: list(VlanDocument, "VLAN sub-interfaces. Default []."),
  allowUplinkChange: Type.Boolean({
    description:
      "true: the agent may change the interface that carries its controller connection (commit-confirm: restored when the controller is not reachable again within 60 s). Default false (refused).",
  }),
};

export const BridgeSpecSchema = resolvedObject({
  name: Type.String(),
  interfaces: Type.Array(Type.String()),
  stp: Type.Boolean(),
  /** null = not managed. */
  mtu: nullable(Type.Integer()),
  vlanFiltering: Type.Boolean(),
  adopt: Type.Boolean(),
});

export const BondSpecSchema = resolvedObject({
  name: Type.String(),
  mode: oneOf(BOND_MODES),
  interfaces: Type.Array(Type.String()),
  miimon: Type.Integer(),
  mtu: nullable(Type.Integer()),
  adopt: Type.Boolean(),
});

export const VlanSpecSchema = resolvedObject({
  name: Type.String(),
  link: Type.String(),
  id: Type.Integer(),
  mtu: nullable(Type.Integer()),
  adopt: Type.Boolean(),
});

/** The resolved host networking: every declared interface, sorted by name. */
export const HostNetworkSpecSchema = resolvedObject({
  bridges: Type.Array(BridgeSpecSchema),
  bonds: Type.Array(BondSpecSchema),
  vlans: Type.Array(VlanSpecSchema),
  allowUplinkChange: Type.Boolean(),
});

/** Spelled out (not Static<>) so the agent face imports no TypeBox values. */
export interface BridgeSpec {
  name: string;
  interfaces: string[];
  stp: boolean;
  mtu: number | null;
  vlanFiltering: boolean;
  adopt: boolean;
}
export interface BondSpec {
  name: string;
  mode: BondMode;
  interfaces: string[];
  miimon: number;
  mtu: number | null;
  adopt: boolean;
}
export interface VlanSpec {
  name: string;
  link: string;
  id: number;
  mtu: number | null;
  adopt: boolean;
}
export interface HostNetworkSpec {
  bridges: BridgeSpec[];
  bonds: BondSpec[];
  vlans: VlanSpec[];
  allowUplinkChange: boolean;
}

/** The networking fields as a policy document writes them. */
export interface HostNetworkDocument {
  bridges?: {
    name: string;
    interfaces?: string[];
    stp?: boolean;
    mtu?: number;
    vlanFiltering?: boolean;
    adopt?: boolean;
  }[];
  bonds?: {
    name: string;
    mode?: BondMode;
    interfaces?: string[];
    miimon?: number;
    mtu?: number;
    adopt?: boolean;
  }[];
  vlans?: { name: string; link: string; id: number; mtu?: number; adopt?: boolean }[];
  allowUplinkChange?: boolean;
}
