/**
 * Where libvirt 9.0 tags a NIC's VLAN (`<vlan><tag id/></vlan>`). It DEFINES a guest with a
 * tag on any interface type, but refuses to START it ("vlan tag not supported for this
 * connection type") unless the connection is an Open vSwitch bridge or an SR-IOV virtual
 * function: `<interface type='bridge'>` with `<virtualport type='openvswitch'/>` (what this
 * kind writes for a `bridge:` NIC with a tag; whether the host's bridge is an Open vSwitch
 * bridge only the host can tell: host-check.ts), `type='direct'` with mode passthrough on a
 * VF ("vlan can only be set for SR-IOV VFs"), `type='hostdev'`, or a `type='network'` whose
 * network is one of these (mode hostdev, macvtap with macvtapMode passthrough, or bridge with
 * virtualport openvswitch). Checked on this machine: network (nat), bridge (Linux), direct
 * bridge and direct passthrough on a veth are all refused at start.
 */
export type VlanConnection =
  | { kind: "bridge"; openvswitch: boolean | null }
  | { kind: "direct"; macvtapMode: string | null }
  | { kind: "network"; mode: string; virtualport: string | null; macvtapMode: string | null };

/** Why libvirt would refuse a VLAN tag on `conn`, or null when it can tag there. */
export function vlanRefusal(conn: VlanConnection): string | null {
  const why = "libvirt tags VLANs only on Open vSwitch bridges and SR-IOV virtual functions";
  if (conn.kind === "bridge")
    return conn.openvswitch === false
      ? `a VLAN tag cannot be set on a NIC of a Linux bridge: ${why}; use an Open vSwitch bridge, or a network of mode hostdev or macvtap (passthrough)`
      : null;
  if (conn.kind === "direct")
    return conn.macvtapMode === "passthrough"
      ? null
      : `a VLAN tag on a direct NIC needs macvtapMode passthrough (on an SR-IOV virtual function): ${why}`;
  if (conn.mode === "hostdev") return null;
  if (conn.mode === "macvtap" && conn.macvtapMode === "passthrough") return null;
  if (conn.mode === "bridge" && conn.virtualport === "openvswitch") return null;
  return `a VLAN tag cannot be set on a NIC of network mode "${conn.mode}"${conn.mode === "macvtap" ? ` (macvtapMode ${conn.macvtapMode ?? "bridge"})` : conn.mode === "bridge" ? " without virtualport openvswitch" : ""}: ${why}`;
}
