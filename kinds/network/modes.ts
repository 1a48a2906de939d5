/** The network kind's mode names (agent face and policy face alike; no schema here). */

export const NETWORK_MODES = ["nat", "route", "open", "isolated", "bridge", "macvtap", "hostdev"] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];
/** Modes whose bridge libvirt creates and whose `<ip>`, DHCP and DNS it serves (dnsmasq). */
export const ROUTED_MODES: readonly NetworkMode[] = ["nat", "route", "open", "isolated"];
export const NETWORK_STATES = ["active", "inactive", "absent"] as const;
export const MACVTAP_MODES = ["bridge", "vepa", "private", "passthrough"] as const;
export const VIRTUALPORT_TYPES = ["openvswitch"] as const;
