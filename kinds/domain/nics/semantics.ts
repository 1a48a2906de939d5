import type { PathSegment } from "../../../policy-primitives/issues.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";
import { vlanRefusal } from "./vlan.js";

type InterfaceDocument = NonNullable<DomainDocument["interfaces"]>[number];

/** A network as this policy declares it (schema-valid, not templated): what the NIC rules read. */
interface DeclaredNetwork {
  name?: unknown;
  state?: unknown;
  mode?: unknown;
  virtualport?: unknown;
  macvtapMode?: unknown;
  portgroups?: { name?: unknown }[];
}

const SOURCES = ["network", "bridge", "direct"] as const;

/**
 * A domain's NICs beyond the schema, each reported at its field:
 * - exactly one of network / bridge / direct; `portgroup` only with network, `macvtapMode`
 *   only with direct, `queues` only with model virtio (the default);
 * - a present guest's network not declared absent in this policy; a network this policy
 *   declares must have the named port group;
 * - a VLAN tag only where libvirt 9 tags (vlan.ts): never on a host bridge, on a direct NIC
 *   only with macvtapMode passthrough, on a network this policy declares only when its mode
 *   tags (networks of other policies or of the host are checked in the plan stage);
 * - bandwidth peak not below average;
 * - `bootIndex` unique across the guest's NICs and disks (libvirt: "boot order used for more
 *   than one device") and not combined with the domain's `boot` list (libvirt refuses both);
 * - MACs unicast and unique across the policy (`refs.seenMacs`).
 */
export function checkNicsDocument(
  d: DomainDocument,
  index: number,
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const present = d.state !== "absent";
  const networks = declaredNetworks(refs);
  const boots = diskBootIndexes(d);
  const osBoot = (d as { boot?: unknown }).boot;
  (d.interfaces ?? []).forEach((nic, j) => {
    const at = [...path, "interfaces", j];
    const sources = SOURCES.filter((s) => nic[s] !== undefined);
    if (sources.length === 0) c.issues.add(at, "a NIC needs one of network, bridge or direct");
    for (const extra of sources.slice(1))
      c.issues.add([...at, extra], `a NIC attaches to one of network, bridge or direct, not ${sources.join(" and ")}`);
    const net = c.format(nic.network, [...at, "network"], "resourceName");
    c.format(nic.bridge, [...at, "bridge"], "bridgeName");
    c.format(nic.direct, [...at, "direct"], "bridgeName");
    const group = c.format(nic.portgroup, [...at, "portgroup"], "resourceName");
    if (nic.portgroup !== undefined && nic.network === undefined)
      c.issues.add([...at, "portgroup"], "portgroup needs network (a port group belongs to a libvirt network)");
    if (nic.macvtapMode !== undefined && nic.direct === undefined)
      c.issues.add([...at, "macvtapMode"], "macvtapMode needs direct (the host NIC the macvtap port is made on)");
    if (nic.queues !== undefined && (nic.model ?? "virtio") !== "virtio")
      c.issues.add([...at, "queues"], `queues (multiqueue) needs model virtio, not ${nic.model}`);
    const declared = net === undefined ? undefined : networks.get(net);
    if (net !== undefined && present && absentOf(refs, "network").has(net))
      c.issues.add([...at, "network"], `network "${net}" is declared absent in this policy`);
    else if (group !== undefined && present && declared !== undefined && !hasPortgroup(declared, group))
      c.issues.add([...at, "portgroup"], `network "${net}" (declared in this policy) has no port group "${group}"`);
    if (nic.vlan !== undefined) checkVlan(nic, declared, [...at, "vlan"], c);
    for (const dir of ["inbound", "outbound"] as const) {
      const r = nic.bandwidth?.[dir];
      if (r?.peak !== undefined && r.peak < r.average)
        c.issues.add([...at, "bandwidth", dir, "peak"], `peak (${r.peak}) is below average (${r.average})`);
    }
    if (typeof nic.bootIndex === "number" && Array.isArray(osBoot) && osBoot.length > 0)
      c.issues.add(
        [...at, "bootIndex"],
        "bootIndex cannot be combined with the domain's boot list (libvirt: per-device boot elements cannot be used together with os/boot elements)",
      );
    else if (typeof nic.bootIndex === "number") {
      const first = boots.get(nic.bootIndex);
      if (first !== undefined)
        c.issues.add(
          [...at, "bootIndex"],
          `bootIndex ${nic.bootIndex} is also used by ${first} (one device per index)`,
        );
      else boots.set(nic.bootIndex, `interfaces[${j}]`);
    }
    const mac = c.mac(nic.mac, [...at, "mac"]);
    if (mac !== undefined) {
      const where = `domains[${index}].interfaces[${j}]`;
      const first = refs.seenMacs.get(mac);
      if (first) c.issues.add([...at, "mac"], `MAC ${mac} is also used by ${first}`);
      else refs.seenMacs.set(mac, where);
    }
  });
}

function checkVlan(nic: InterfaceDocument, network: DeclaredNetwork | undefined, at: PathSegment[], c: ValueChecker) {
  let why: string | null = null;
  if (nic.bridge !== undefined) why = vlanRefusal({ kind: "bridge", openvswitch: null });
  else if (nic.direct !== undefined) why = vlanRefusal({ kind: "direct", macvtapMode: nic.macvtapMode ?? null });
  else if (network !== undefined && typeof network.mode === "string")
    why = vlanRefusal({
      kind: "network",
      mode: network.mode,
      virtualport: typeof network.virtualport === "string" ? network.virtualport : null,
      macvtapMode: typeof network.macvtapMode === "string" ? network.macvtapMode : null,
    });
  if (why !== null) c.issues.add(at, why);
}

/** The present networks this policy declares, by (concrete) name. */
function declaredNetworks(refs: PolicyReferences): Map<string, DeclaredNetwork> {
  const out = new Map<string, DeclaredNetwork>();
  const list = refs.declared.networks;
  if (!Array.isArray(list)) return out;
  for (const n of list as DeclaredNetwork[]) {
    if (typeof n?.name === "string" && !n.name.includes("${") && n.state !== "absent") out.set(n.name, n);
  }
  return out;
}

function hasPortgroup(n: DeclaredNetwork, group: string): boolean {
  // A templated port group name cannot be compared before templating: assume it matches.
  return (n.portgroups ?? []).some((g) => typeof g?.name !== "string" || g.name === group || g.name.includes("${"));
}

/**
 * The boot indexes the guest's disks take (read loosely: the disks area owns the field), so
 * a NIC's duplicate names the disk.
 */
function diskBootIndexes(d: DomainDocument): Map<number, string> {
  const out = new Map<number, string>();
  const disks = (d as { disks?: unknown }).disks;
  if (!Array.isArray(disks)) return out;
  disks.forEach((disk: unknown, k) => {
    const b = (disk as { bootIndex?: unknown } | null)?.bootIndex;
    if (typeof b === "number" && !out.has(b)) out.set(b, `disks[${k}]`);
  });
  return out;
}
