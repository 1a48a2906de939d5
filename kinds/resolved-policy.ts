/**
 * Resolved desired state for one host: what a policy says after templating, defaults and
 * unit parsing (sizes in bytes, every MAC pinned). The policy loader produces these; the
 * agent's XML builders and resources consume them. Names here are already validated
 * (no `/`, no `..`, no control characters) by the loader.
 */

export type PolicyMode = "enforce" | "audit";

export interface HostPrereqSpec {
  /** vmx/svm present and /dev/kvm usable; false or absent = not checked. */
  requireVirtualization: boolean;
  /** Modules that must be loaded (repair: modprobe). */
  kernelModules: string[];
  /** Runtime sysctl values by dotted key (repair: write /proc/sys). */
  sysctl: Record<string, string>;
  /** Precondition: fail the host before changing anything when less memory is free. */
  minFreeMemoryBytes: number | null;
}

export interface DhcpHostSpec {
  mac: string;
  ip: string;
  name: string | null;
}

export interface NetworkSpec {
  name: string;
  mode: "nat" | "route" | "isolated" | "bridge";
  /** Bridge device libvirt creates, or the existing bridge for mode `bridge`; null = libvirt picks. */
  bridge: string | null;
  ipv4: {
    address: string;
    prefix: number;
    dhcp: { start: string; end: string; hosts: DhcpHostSpec[] } | null;
  } | null;
  mtu: number | null;
  autostart: boolean;
  state: "active" | "inactive" | "absent";
}

export interface PoolSpec {
  name: string;
  type: "dir";
  /** Absolute, normalised path. */
  path: string;
  autostart: boolean;
  state: "active" | "inactive" | "absent";
}

export interface VolumeSpec {
  name: string;
  pool: string;
  format: "qcow2" | "raw";
  capacityBytes: number;
  /** A volume in the same pool this one is a copy-on-write overlay of. */
  backingVolume: string | null;
  /** Import the content from `url` (file://, http://, https://), then verify sha256 (hex). */
  source: { url: string; sha256: string } | null;
  state: "present" | "absent";
}

export interface DiskSpec {
  pool: string;
  volume: string;
  bus: "virtio" | "sata" | "scsi";
}

export type CdromSpec = { pool: string; volume: string } | { path: string };

export interface InterfaceSpec {
  network: string;
  model: "virtio" | "e1000" | "e1000e" | "rtl8139";
  /** Always set: pinned by the policy or derived stably from domain name + index. */
  mac: string;
}

export interface CloudInitUserSpec {
  name: string;
  groups: string[];
  sudo: string | null;
  /** A crypt(3) hash ($6$…, $y$…); plaintext passwords are rejected by the loader. */
  passwordHash: string | null;
  sshAuthorizedKeys: string[];
}

export interface CloudInitSpec {
  hostname: string | null;
  users: CloudInitUserSpec[];
  packages: string[];
  packageUpdate: boolean;
}

export interface DomainSpec {
  name: string;
  vcpus: number;
  memoryBytes: number;
  cpu: "host-model" | "host-passthrough";
  machine: string | null;
  disks: DiskSpec[];
  cdroms: CdromSpec[];
  interfaces: InterfaceSpec[];
  cloudInit: CloudInitSpec | null;
  graphics: "none" | "vnc";
  autostart: boolean;
  state: "running" | "shutoff" | "paused" | "absent";
  restartOnChange: boolean;
}

export interface ResourcesSpec {
  host: HostPrereqSpec | null;
  networks: NetworkSpec[];
  pools: PoolSpec[];
  volumes: VolumeSpec[];
  domains: DomainSpec[];
}

/** Where a value came from, for error messages (`file:line:col`). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface ResolvedPolicy {
  name: string;
  description: string | null;
  mode: PolicyMode;
  priority: number;
  /** Location of the policy document (its `kind:` line). */
  source: SourceLocation;
  resources: ResourcesSpec;
}
