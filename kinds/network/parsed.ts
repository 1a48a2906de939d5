/**
 * The "actual" side of the network kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */

export interface ParsedDhcpHost {
  /** Lower-case. */
  mac: string;
  ip: string;
  name: string | null;
}

export interface ParsedNetwork {
  name: string;
  uuid: string | null;
  mode: "nat" | "route" | "isolated" | "bridge" | string;
  bridge: string | null;
  stp: boolean | null;
  delay: number | null;
  /** First IPv4 `<ip>` (family absent or ipv4). */
  ipv4: {
    address: string;
    prefix: number;
    dhcp: { start: string; end: string; hosts: ParsedDhcpHost[] } | null;
  } | null;
  mtu: number | null;
}
