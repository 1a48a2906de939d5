/** Fixture text and a fixture /sys + /proc tree builder for the facts tests. */
import { mkdir, mkdtemp, realpath, writeFile, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Two Intel sockets, 2 cores each, 2 threads per core (8 logical CPUs). */
export function intelTwoSocketCpuinfo(): string {
  const blocks: string[] = [];
  let processor = 0;
  for (let thread = 0; thread < 2; thread++) {
    for (let socket = 0; socket < 2; socket++) {
      for (let core = 0; core < 2; core++) {
        blocks.push(
          [
            `processor\t: ${processor++}`,
            "vendor_id\t: GenuineIntel",
            "cpu family\t: 6",
            "model\t\t: 85",
            "model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
            `physical id\t: ${socket}`,
            "siblings\t: 4",
            `core id\t\t: ${core}`,
            "cpu cores\t: 2",
            "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep vmx smx est tm2 ssse3 sse4_1 sse4_2 avx2",
            "",
          ].join("\n"),
        );
      }
    }
  }
  return blocks.join("\n");
}

export const AMD_CPUINFO = `processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7543 32-Core Processor
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme de pse tsc msr svm npt lbrv

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7543 32-Core Processor
physical id\t: 0
core id\t\t: 1
flags\t\t: fpu vme de pse tsc msr svm npt lbrv
`;

export const ARM_CPUINFO = `processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer\t: 0x41
CPU architecture: 8
CPU part\t: 0xd0c

processor\t: 1
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer\t: 0x41
CPU architecture: 8
CPU part\t: 0xd0c
`;

export const MEMINFO = `MemTotal:       65843212 kB
MemFree:        12345678 kB
MemAvailable:   40000000 kB
Buffers:          123456 kB
HugePages_Total:      16
HugePages_Free:        8
Hugepagesize:       2048 kB
`;

export function nodeMeminfo(node: number, totalKb: number, freeKb: number): string {
  return `Node ${node} MemTotal:       ${totalKb} kB
Node ${node} MemFree:        ${freeKb} kB
Node ${node} MemUsed:        ${totalKb - freeKb} kB
Node ${node} HugePages_Total:     4
`;
}

export const PROC_MODULES = `kvm_intel 380928 0 - Live 0x0000000000000000
kvm 1142784 1 kvm_intel, Live 0x0000000000000000
irqbypass 16384 1 kvm, Live 0x0000000000000000
vhost_net 36864 0 - Live 0x0000000000000000
`;

export const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
# a comment
ID=debian
HOME_URL='https://www.debian.org/'
`;

export const IP_ADDR_JSON = JSON.stringify([
  {
    ifindex: 1,
    ifname: "lo",
    flags: ["LOOPBACK", "UP"],
    mtu: 65536,
    operstate: "UNKNOWN",
    link_type: "loopback",
    addr_info: [
      { family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "host" },
      { family: "inet6", local: "::1", prefixlen: 128, scope: "host" },
    ],
  },
  { ifindex: 5, ifname: "veth1", linkinfo: { info_kind: "veth" }, addr_info: [] },
  {
    ifindex: 6,
    ifname: "br0",
    linkinfo: { info_kind: "bridge" },
    addr_info: [{ family: "inet", local: "10.0.0.1", prefixlen: 24 }],
  },
  { ifindex: 7, ifname: "can0", addr_info: [{ family: "can", local: "x", prefixlen: 0 }] },
  { ifindex: 8 },
]);

export interface FixtureTree {
  root: string;
  sysRoot: string;
  procRoot: string;
  osRelease: string;
  kvmDevice: string;
  /** A directory mounted (per the fixture /proc/mounts) as tmpfs that holds "var/lib/libvirt". */
  libvirtDir: string;
  dataMount: string;
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/**
 * Builds a fixture tree for a 2-socket, 2-NUMA-node Intel host with 8 logical CPUs
 * (2 cores × 2 threads per socket; cpus 0,1,4,5 on node 0, 2,3,6,7 on node 1), 2 MiB and
 * 1 GiB hugepage pools, disks sda (HDD), nvme0n1 (SSD) plus loop0/zram0/dm-0 to be skipped,
 * interfaces of every kind, and a /proc/mounts whose mountpoints are directories of the tree.
 * `numa: false` leaves out /sys/devices/system/node. `taps` adds that many tun devices.
 */
export async function buildFixtureTree(opts: { numa?: boolean; taps?: number } = {}): Promise<FixtureTree> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "virtfleet-facts-")));
  const sys = join(root, "sys");
  const proc = join(root, "proc");

  await put(join(proc, "cpuinfo"), intelTwoSocketCpuinfo());
  await put(join(proc, "meminfo"), MEMINFO);
  await put(join(proc, "modules"), PROC_MODULES);
  await put(join(proc, "net/vlan/config"), "VLAN Dev name | VLAN ID\neth0.100 | 100 | eth0\n");
  await put(join(proc, "net/vlan/eth0.100"), "eth0.100  VID: 100\n");

  // CPU topology: cpu N → socket (N>>1)&1, core N&1, thread N>>2.
  await put(join(sys, "devices/system/cpu/online"), "0-7\n");
  for (let cpu = 0; cpu < 8; cpu++) {
    const t = join(sys, `devices/system/cpu/cpu${cpu}/topology`);
    await put(join(t, "physical_package_id"), `${(cpu >> 1) & 1}\n`);
    await put(join(t, "core_id"), `${cpu & 1}\n`);
  }
  if (opts.numa !== false) {
    await put(join(sys, "devices/system/node/online"), "0-1\n");
    await put(join(sys, "devices/system/node/node0/cpulist"), "0-1,4-5\n");
    await put(join(sys, "devices/system/node/node0/meminfo"), nodeMeminfo(0, 32921604, 6000000));
    await put(join(sys, "devices/system/node/node1/cpulist"), "2-3,6-7\n");
    await put(join(sys, "devices/system/node/node1/meminfo"), nodeMeminfo(1, 32921608, 6345678));
    await mkdir(join(sys, "devices/system/node/power"), { recursive: true });
  }

  for (const [size, total, free] of [
    ["2048kB", 16, 8],
    ["1048576kB", 2, 2],
  ] as const) {
    const d = join(sys, `kernel/mm/hugepages/hugepages-${size}`);
    await put(join(d, "nr_hugepages"), `${total}\n`);
    await put(join(d, "free_hugepages"), `${free}\n`);
    await put(join(d, "surplus_hugepages"), "0\n");
  }

  const devices = join(sys, "devices");
  const blockDev = async (
    name: string,
    where: string,
    size: number,
    rotational: number | null,
    model: string | null,
  ): Promise<void> => {
    const real = join(devices, where, "block", name);
    await put(join(real, "size"), `${size}\n`);
    if (rotational !== null) await put(join(real, "queue/rotational"), `${rotational}\n`);
    if (model !== null) await put(join(real, "device/model"), `${model}\n`);
    await mkdir(join(sys, "block"), { recursive: true });
    await symlink(join("..", "devices", where, "block", name), join(sys, "block", name));
  };
  await blockDev("sda", "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0", 7814037168, 1, "ST4000NM0035-1V4 ");
  await blockDev("nvme0n1", "pci0000:00/0000:00:1d.0/nvme/nvme0", 1875385008, 0, "SAMSUNG MZQLB1T9HAJR-00007");
  await blockDev("sr0", "pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0", 2097151, 1, "DVD-ROM");
  await blockDev("loop0", "virtual", 1024, 1, null);
  await blockDev("zram0", "virtual", 8388608, 0, null);
  await blockDev("dm-0", "virtual", 1000000, 0, null);
  await blockDev("md0", "virtual", 15628053504, 1, null);
  await blockDev("sdb", "pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0", 0, 1, "Card Reader");

  const net = join(sys, "class/net");
  const iface = async (
    name: string,
    a: { type?: number; mtu?: number; oper?: string; mac?: string; speed?: string; extra?: string[] },
  ): Promise<void> => {
    const d = join(net, name);
    await put(join(d, "type"), `${a.type ?? 1}\n`);
    await put(join(d, "mtu"), `${a.mtu ?? 1500}\n`);
    await put(join(d, "operstate"), `${a.oper ?? "up"}\n`);
    await put(join(d, "address"), `${a.mac ?? "52:54:00:00:00:01"}\n`);
    if (a.speed !== undefined) await put(join(d, "speed"), `${a.speed}\n`);
    for (const e of a.extra ?? []) {
      if (e.endsWith("/")) await mkdir(join(d, e), { recursive: true });
      else await put(join(d, e), "0x1002\n");
    }
  };
  await iface("lo", { type: 772, mtu: 65536, oper: "unknown", mac: "00:00:00:00:00:00" });
  await iface("eth0", { speed: "10000", mac: "3c:ec:ef:00:00:01", extra: ["device/"] });
  await iface("eth1", { speed: "-1", oper: "down", mac: "3c:ec:ef:00:00:02", extra: ["device/"] });
  await iface("br0", { mac: "3c:ec:ef:00:00:01", extra: ["bridge/"] });
  await iface("bond0", { extra: ["bonding/"] });
  await iface("vnet0", { mac: "fe:54:00:00:00:01", extra: ["tun_flags"] });
  await iface("eth0.100", {});
  await iface("veth1", { mac: "aa:bb:cc:00:00:01" });
  await iface("dummy0", { oper: "down" });
  await put(join(net, "bonding_masters"), "bond0\n");
  for (let i = 0; i < (opts.taps ?? 0); i++) await iface(`tap${i}`, { mac: "fe:00:00:00:00:00", extra: ["tun_flags"] });

  const dataMount = join(root, "mnt", "data dir");
  const libvirtMount = join(root, "mnt", "lv");
  const libvirtDir = join(libvirtMount, "var/lib/libvirt");
  await mkdir(dataMount, { recursive: true });
  await mkdir(libvirtDir, { recursive: true });
  await mkdir(join(root, "mnt", "ro"), { recursive: true });
  const esc = (p: string): string => p.replace(/ /g, "\\040");
  await put(
    join(proc, "mounts"),
    [
      `/dev/sda1 / ext4 rw,relatime 0 0`,
      `proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0`,
      `sysfs /sys sysfs rw 0 0`,
      `tmpfs /run tmpfs rw,nosuid 0 0`,
      `cgroup2 /sys/fs/cgroup cgroup2 rw 0 0`,
      `/dev/nvme0n1p1 ${esc(dataMount)} xfs rw 0 0`,
      `/dev/nvme0n1p1 ${esc(join(root, "mnt", "ro"))} xfs ro,bind 0 0`,
      `tmpfs ${libvirtMount} tmpfs rw 0 0`,
      `/dev/loop3 /snap/core/1 squashfs ro 0 0`,
      "",
    ].join("\n"),
  );

  const osRelease = join(root, "etc/os-release");
  await put(osRelease, OS_RELEASE);
  const kvmDevice = join(root, "dev/kvm");
  await put(kvmDevice, "");

  return { root, sysRoot: sys, procRoot: proc, osRelease, kvmDevice, libvirtDir, dataMount };
}
