/**
 * The "actual" side of the network kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */
import type { Dhcp6HostSpec, DnsHostSpec, PortgroupSpec } from "./spec.js";

export interface ParsedDhcpHost {
  /** Lower-case. */
  mac: string;
  ip: string;
  name: string | null;
}

export interface ParsedNetwork {
  name: string;
  uuid: string | null;
  /** nat | route | open | isolated | bridge | macvtap | hostdev, or libvirt's forward mode when it is none of these. */
  mode: string;
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
  domain: string | null;
  /** `<nat><port>` (libvirt may add its default 1024–65535 itself). */
  nat: { portStart: number; portEnd: number } | null;
  /** First `<ip family='ipv6'>`; addresses canonical. */
  ipv6: {
    address: string;
    prefix: number;
    /** Index of this `<ip>` among all `<ip>` elements (net-update's parent index). */
    index: number;
    dhcp: { start: string; end: string; hosts: Dhcp6HostSpec[] } | null;
  } | null;
  dns: { hosts: DnsHostSpec[]; forwarders: string[] };
  portgroups: PortgroupSpec[];
  virtualport: string | null;
  /** The host NIC of a macvtap network (first `<forward><interface dev>`). */
  interface: string | null;
  macvtapMode: string | null;
  /** The SR-IOV physical function of a hostdev network. */
  pf: string | null;
}
