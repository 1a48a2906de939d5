/**
 * Hardware facts an agent reports about its host. They travel as UTF-8 JSON inside
 * `Hello.facts_json` / `FactsUpdate.facts_json` (see proto/fleet/v1/agent.proto) because
 * policies target them by dotted path (`cpu.virtualization`, `numa.nodes`), and the tree
 * grows over time; this type is the schema both sides share.
 *
 * Contract: every field is present; values the collector could not read are `null`
 * (never guessed), and `errors` names each source that failed.
 */
export interface HostFacts {
  /** Schema version of this object; bump on incompatible change. */
  schema: 1;
  hostname: string;
  cpu: CpuFacts;
  memory: MemoryFacts;
  numa: NumaFacts;
  disks: DiskFacts[];
  filesystems: FilesystemFacts[];
  network: { interfaces: NetworkInterfaceFacts[] };
  os: OsFacts;
  libvirt: LibvirtFacts;
  /** Sources that could not be read, e.g. `{source: "numa", message: "…"}`. */
  errors: { source: string; message: string }[];
}

export interface CpuFacts {
  model: string | null;
  vendor: string | null;
  sockets: number | null;
  /** Physical cores across all sockets. */
  cores: number | null;
  /** Logical CPUs (hardware threads) online. */
  threads: number | null;
  /** `vmx` (Intel) or `svm` (AMD) present in the CPU flags. */
  virtualization: boolean;
  virtualizationFlag: "vmx" | "svm" | null;
  /** `/dev/kvm` exists and can be opened read-write. */
  kvmUsable: boolean;
  /** Which of `kvm`, `kvm_intel`, `kvm_amd` are loaded (from /proc/modules). */
  kvmModules: string[];
}

export interface MemoryFacts {
  totalBytes: number | null;
  freeBytes: number | null;
  availableBytes: number | null;
  hugepages: { sizeBytes: number; total: number; free: number }[];
}

export interface NumaFacts {
  /** Number of NUMA nodes (1 on a non-NUMA host). */
  nodes: number;
  cells: { id: number; cpus: number[]; memoryTotalBytes: number | null; memoryFreeBytes: number | null }[];
}

export interface DiskFacts {
  name: string;
  sizeBytes: number;
  rotational: boolean | null;
  model: string | null;
}

export interface FilesystemFacts {
  mountpoint: string;
  device: string;
  type: string;
  sizeBytes: number;
  freeBytes: number;
  /** Free space an unprivileged writer (qemu) can use: `freeBytes` minus the root reserve. */
  availableBytes: number;
  /**
   * Well-known paths this file system holds (`/var/lib/libvirt`, `/var/lib/libvirt/images`),
   * so a policy can find the space VM images go to; empty for other file systems.
   */
  holds: string[];
}

export interface NetworkInterfaceFacts {
  name: string;
  mac: string | null;
  mtu: number | null;
  operState: string | null;
  /** `physical`, `bridge`, `bond`, `vlan`, `tun`, `veth`, `loopback`, `virtual` */
  kind: string;
  speedMbps: number | null;
  addresses: { family: "inet" | "inet6"; address: string; prefix: number }[];
}

export interface OsFacts {
  name: string | null;
  version: string | null;
  id: string | null;
  kernel: string;
  arch: string;
  uptimeSeconds: number;
}

export interface LibvirtFacts {
  /** The daemon answered on its socket. */
  reachable: boolean;
  socket: string;
  /** Daemon (library) version as `major.minor.micro`, null when unreachable. */
  version: string | null;
  /** Hypervisor driver type, e.g. `QEMU`, null when unreachable. */
  hypervisor: string | null;
  hypervisorVersion: string | null;
  /** Filled by the libvirt client from the capabilities XML; null until it is available. */
  capabilities: LibvirtCapabilityFacts | null;
  error: string | null;
}

export interface LibvirtCapabilityFacts {
  hostCpuModel: string | null;
  maxVcpus: number | null;
  numaCells: number | null;
  machineTypes: string[];
  domainTypes: string[];
}
