import { createHash } from "node:crypto";
import type { HostFacts } from "../../common/index.js";

/**
 * A realistic facts document for simulated host number `i` (a 2-socket KVM host with
 * 4 NICs, 3 disks, libvirt 9): what a real agent's Hello carries, about 3 KB of JSON.
 * The fingerprint is a hash of the document without fast-changing values, like the agent's.
 */
export function syntheticFacts(host: string, i: number): { json: string; fingerprint: string } {
  const mac = (n: number) => `52:54:00:${hex(i >> 8)}:${hex(i & 0xff)}:${hex(n)}`;
  const facts: HostFacts = {
    schema: 1,
    hostname: host,
    cpu: {
      model: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
      vendor: "GenuineIntel",
      sockets: 2,
      cores: 64,
      threads: 128,
      virtualization: true,
      virtualizationFlag: "vmx",
      kvmUsable: true,
      kvmModules: ["kvm", "kvm_intel"],
    },
    memory: {
      totalBytes: 512 * 2 ** 30,
      freeBytes: 200 * 2 ** 30 + i,
      availableBytes: 300 * 2 ** 30,
      hugepages: [{ sizeBytes: 2 ** 21, total: 0, free: 0 }],
    },
    numa: {
      nodes: 2,
      cells: [0, 1].map((id) => ({
        id,
        cpus: Array.from({ length: 8 }, (_, c) => id * 64 + c),
        memoryTotalBytes: 256 * 2 ** 30,
        memoryFreeBytes: 100 * 2 ** 30,
      })),
    },
    disks: ["nvme0n1", "nvme1n1", "sda"].map((name, d) => ({
      name,
      sizeBytes: (d + 1) * 960 * 10 ** 9,
      rotational: name === "sda",
      model: name === "sda" ? "ST4000NM000A" : "SAMSUNG MZQL2960HCJR",
    })),
    filesystems: [
      {
        mountpoint: "/",
        device: "/dev/nvme0n1p2",
        type: "ext4",
        sizeBytes: 100 * 10 ** 9,
        freeBytes: 60 * 10 ** 9,
        availableBytes: 55 * 10 ** 9,
        holds: ["/"],
      },
      {
        mountpoint: "/var/lib/libvirt",
        device: "/dev/nvme1n1p1",
        type: "xfs",
        sizeBytes: 1900 * 10 ** 9,
        freeBytes: 1200 * 10 ** 9,
        availableBytes: 1200 * 10 ** 9,
        holds: ["/var/lib/libvirt/images"],
      },
    ],
    network: {
      interfaces: ["eno1", "eno2", "bond0", "virbr0"].map((name, n) => ({
        name,
        mac: mac(n),
        mtu: name === "bond0" ? 9000 : 1500,
        operState: "up",
        kind: name === "bond0" ? "bond" : name === "virbr0" ? "bridge" : "physical",
        speedMbps: name.startsWith("eno") ? 25_000 : null,
        addresses:
          name === "bond0"
            ? [{ family: "inet", address: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`, prefix: 16 }]
            : [],
      })),
    },
    os: {
      name: "Debian GNU/Linux",
      version: "12 (bookworm)",
      id: "debian",
      kernel: "6.1.0-28-amd64",
      arch: "x86_64",
      uptimeSeconds: 86_400 + i,
    },
    libvirt: {
      reachable: true,
      socket: "/var/run/libvirt/libvirt-sock",
      version: "9.0.0",
      hypervisor: "QEMU",
      hypervisorVersion: "7.2.0",
      capabilities: {
        hostCpuModel: "Icelake-Server",
        maxVcpus: 288,
        numaCells: 2,
        machineTypes: ["pc-q35-7.2", "pc-i440fx-7.2"],
        domainTypes: ["kvm", "qemu"],
      },
      error: null,
    },
    errors: [],
  };
  const json = JSON.stringify(facts);
  const stable = {
    ...facts,
    memory: { ...facts.memory, freeBytes: null, availableBytes: null },
    os: { ...facts.os, uptimeSeconds: 0 },
  };
  return { json, fingerprint: createHash("sha256").update(JSON.stringify(stable)).digest("hex") };
}

function hex(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}
