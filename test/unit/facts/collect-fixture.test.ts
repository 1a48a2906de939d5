import { createServer, type Server } from "node:net";
import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectFacts, type CollectFactsOptions, type LibvirtProbe } from "../../../agent/facts/index.js";
import { OptionError } from "../../../common/errors.js";
import { buildFixtureTree, type FixtureTree } from "./fixtures.js";

function optionsFor(t: FixtureTree, extra: CollectFactsOptions = {}): CollectFactsOptions {
  return {
    sysRoot: t.sysRoot,
    procRoot: t.procRoot,
    osReleasePaths: [t.osRelease],
    kvmDevice: t.kvmDevice,
    watchedPaths: [t.libvirtDir, join(t.libvirtDir, "images")],
    addressSource: "none",
    libvirtSocket: join(t.root, "no-libvirt-sock"),
    ...extra,
  };
}

const probe: LibvirtProbe = async () => ({
  version: "9.0.0",
  hypervisor: "QEMU",
  hypervisorVersion: "7.2.0",
  capabilities: {
    hostCpuModel: "Cascadelake-Server",
    maxVcpus: 255,
    numaCells: 2,
    machineTypes: ["pc-q35-7.2"],
    domainTypes: ["kvm", "qemu"],
  },
});

describe("collectFacts on a 2-socket NUMA fixture tree", () => {
  let t: FixtureTree;
  beforeAll(async () => {
    t = await buildFixtureTree();
  });
  afterAll(async () => {
    await rm(t.root, { recursive: true, force: true });
  });

  it("fills every section from the fixture", async () => {
    const f = await collectFacts(optionsFor(t, { libvirtProbe: probe }));
    expect(f.errors).toEqual([]);
    expect(f.schema).toBe(1);
    expect(f.cpu).toEqual({
      model: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
      vendor: "GenuineIntel",
      sockets: 2,
      cores: 4,
      threads: 8,
      virtualization: true,
      virtualizationFlag: "vmx",
      kvmUsable: true,
      kvmModules: ["kvm", "kvm_intel"],
    });
    expect(f.memory).toEqual({
      totalBytes: 65843212 * 1024,
      freeBytes: 12345678 * 1024,
      availableBytes: 40000000 * 1024,
      hugepages: [
        { sizeBytes: 2 * 1024 ** 2, total: 16, free: 8 },
        { sizeBytes: 1024 ** 3, total: 2, free: 2 },
      ],
    });
    expect(f.numa).toEqual({
      nodes: 2,
      cells: [
        { id: 0, cpus: [0, 1, 4, 5], memoryTotalBytes: 32921604 * 1024, memoryFreeBytes: 6000000 * 1024 },
        { id: 1, cpus: [2, 3, 6, 7], memoryTotalBytes: 32921608 * 1024, memoryFreeBytes: 6345678 * 1024 },
      ],
    });
    expect(f.disks).toEqual([
      { name: "md0", sizeBytes: 15628053504 * 512, rotational: true, model: null },
      { name: "nvme0n1", sizeBytes: 1875385008 * 512, rotational: false, model: "SAMSUNG MZQLB1T9HAJR-00007" },
      { name: "sda", sizeBytes: 7814037168 * 512, rotational: true, model: "ST4000NM0035-1V4" },
    ]);
    expect(f.os).toMatchObject({ name: "Debian GNU/Linux", version: "12", id: "debian" });
    expect(f.os.kernel).not.toBe("");
    expect(f.libvirt).toEqual({
      reachable: true,
      socket: join(t.root, "no-libvirt-sock"),
      version: "9.0.0",
      hypervisor: "QEMU",
      hypervisorVersion: "7.2.0",
      capabilities: {
        hostCpuModel: "Cascadelake-Server",
        maxVcpus: 255,
        numaCells: 2,
        machineTypes: ["pc-q35-7.2"],
        domainTypes: ["kvm", "qemu"],
      },
      error: null,
    });
  });

  it("reports real file systems once, and the one holding the libvirt dir whatever its type", async () => {
    const f = await collectFacts(optionsFor(t));
    const byMount = new Map(f.filesystems.map((fs) => [fs.mountpoint, fs]));
    expect([...byMount.keys()]).toEqual(["/", t.dataMount, join(t.root, "mnt", "lv")].sort());
    const lv = byMount.get(join(t.root, "mnt", "lv"));
    expect(lv).toMatchObject({ type: "tmpfs", device: "tmpfs", holds: [t.libvirtDir, join(t.libvirtDir, "images")] });
    expect(byMount.get(t.dataMount)).toMatchObject({ type: "xfs", device: "/dev/nvme0n1p1", holds: [] });
    for (const fs of f.filesystems) {
      expect(fs.sizeBytes).toBeGreaterThan(0);
      expect(fs.freeBytes).toBeLessThanOrEqual(fs.sizeBytes);
      expect(fs.availableBytes).toBeLessThanOrEqual(fs.freeBytes);
    }
  });

  it("classifies every kind of interface", async () => {
    const f = await collectFacts(optionsFor(t));
    const kinds = Object.fromEntries(f.network.interfaces.map((i) => [i.name, i.kind]));
    expect(kinds).toEqual({
      bond0: "bond",
      br0: "bridge",
      dummy0: "virtual",
      eth0: "physical",
      "eth0.100": "vlan",
      eth1: "physical",
      lo: "loopback",
      veth1: "virtual",
      vnet0: "tun",
    });
    const eth0 = f.network.interfaces.find((i) => i.name === "eth0");
    expect(eth0).toEqual({
      name: "eth0",
      mac: "3c:ec:ef:00:00:01",
      mtu: 1500,
      operState: "up",
      kind: "physical",
      speedMbps: 10000,
      addresses: [],
    });
    const eth1 = f.network.interfaces.find((i) => i.name === "eth1");
    expect(eth1).toMatchObject({ speedMbps: null, operState: "down" });
  });

  it("without NUMA in sysfs reports one node with all online CPUs and the host memory", async () => {
    const flat = await buildFixtureTree({ numa: false });
    try {
      const f = await collectFacts(optionsFor(flat));
      expect(f.numa).toEqual({
        nodes: 1,
        cells: [
          {
            id: 0,
            cpus: [0, 1, 2, 3, 4, 5, 6, 7],
            memoryTotalBytes: 65843212 * 1024,
            memoryFreeBytes: 12345678 * 1024,
          },
        ],
      });
      expect(f.errors).toEqual([]);
    } finally {
      await rm(flat.root, { recursive: true, force: true });
    }
  });

  it("a missing source leaves nulls and an error entry, other sources still fill", async () => {
    const f = await collectFacts(
      optionsFor(t, {
        procRoot: join(t.root, "no-proc"),
        osReleasePaths: [join(t.root, "no-os-release")],
        kvmDevice: join(t.root, "no-kvm"),
      }),
    );
    const sources = f.errors.map((e) => e.source);
    expect(sources).toEqual(["cpu.cpuinfo", "filesystems", "memory", "os"]);
    for (const e of f.errors) expect(e.message).not.toBe("");
    expect(f.cpu).toMatchObject({
      model: null,
      vendor: null,
      sockets: 2,
      cores: 4,
      threads: 8,
      virtualization: false,
      kvmUsable: false,
    });
    expect(f.memory).toMatchObject({ totalBytes: null, freeBytes: null, availableBytes: null });
    expect(f.memory.hugepages).toHaveLength(2);
    expect(f.filesystems).toEqual([]);
    expect(f.os).toMatchObject({ name: null, version: null, id: null });
    expect(f.numa.nodes).toBe(2);
    expect(f.network.interfaces.length).toBe(9);
  });

  it("falls back to os.networkInterfaces() when ip fails, and says so", async () => {
    const f = await collectFacts(optionsFor(t, { addressSource: "ip", ipCommand: join(t.root, "no-such-ip") }));
    expect(f.errors.map((e) => e.source)).toEqual(["network.addresses"]);
    expect(f.errors[0].message).toMatch(/no-such-ip/);
    // lo exists in the fixture and on every Linux host, so os.networkInterfaces() fills it.
    const lo = f.network.interfaces.find((i) => i.name === "lo");
    expect(lo?.addresses).toContainEqual({ family: "inet", address: "127.0.0.1", prefix: 8 });
  });

  it("rejects invalid options with the option's name", async () => {
    await expect(collectFacts({ concurrency: 0 })).rejects.toThrow(OptionError);
    await expect(collectFacts({ sysRoot: "relative" })).rejects.toThrow(/sysRoot/);
  });
});

describe("libvirt reachability", () => {
  let t: FixtureTree;
  let server: Server;
  let socketPath: string;
  beforeAll(async () => {
    t = await buildFixtureTree();
    socketPath = join(t.root, "libvirt-sock");
    server = createServer((c) => c.end());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(t.root, { recursive: true, force: true });
  });

  it("default probe: a listening unix socket is reachable, version unknown", async () => {
    const f = await collectFacts(optionsFor(t, { libvirtSocket: socketPath }));
    expect(f.libvirt).toEqual({
      reachable: true,
      socket: socketPath,
      version: null,
      hypervisor: null,
      hypervisorVersion: null,
      capabilities: null,
      error: null,
    });
  });

  it("default probe: a missing socket is unreachable with a hint", async () => {
    const f = await collectFacts(optionsFor(t));
    expect(f.libvirt.reachable).toBe(false);
    expect(f.libvirt.error).toMatch(/ENOENT.*libvirtd/);
    expect(f.errors).toEqual([]);
  });

  it("an injected probe that throws is unreachable with its message", async () => {
    const failing: LibvirtProbe = async () => {
      throw new Error("authentication failed: polkit denied");
    };
    const f = await collectFacts(optionsFor(t, { libvirtSocket: socketPath, libvirtProbe: failing }));
    expect(f.libvirt).toMatchObject({ reachable: false, version: null, error: "authentication failed: polkit denied" });
  });

  it("an injected probe that hangs times out", async () => {
    const hanging: LibvirtProbe = () => new Promise(() => {});
    const started = performance.now();
    const f = await collectFacts(optionsFor(t, { libvirtProbe: hanging, libvirtTimeoutMs: 100 }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(f.libvirt.reachable).toBe(false);
    expect(f.libvirt.error).toMatch(/100 ms/);
  });
});

describe("sources that misbehave", () => {
  let t: FixtureTree;
  beforeAll(async () => {
    t = await buildFixtureTree();
  });
  afterAll(async () => {
    await rm(t.root, { recursive: true, force: true });
  });

  it("without /proc/modules, finds KVM modules under /sys/module", async () => {
    await rm(join(t.procRoot, "modules"));
    await mkdir(join(t.sysRoot, "module/kvm"), { recursive: true });
    await mkdir(join(t.sysRoot, "module/kvm_amd"), { recursive: true });
    await mkdir(join(t.sysRoot, "module/vhost"), { recursive: true });
    const f = await collectFacts(optionsFor(t));
    expect(f.cpu.kvmModules).toEqual(["kvm", "kvm_amd"]);
    expect(f.errors).toEqual([]);
  });

  it("a source that hangs is cut off after sourceTimeoutMs; the rest is reported", async () => {
    const cpuinfo = join(t.procRoot, "cpuinfo");
    await rm(cpuinfo);
    execFileSync("mkfifo", [cpuinfo]);
    try {
      const started = performance.now();
      const f = await collectFacts(optionsFor(t, { sourceTimeoutMs: 300 }));
      expect(performance.now() - started).toBeLessThan(3000);
      expect(f.errors.map((e) => e.source)).toEqual(["cpu"]);
      expect(f.errors[0].message).toMatch(/"cpu" did not finish within 300 ms/);
      expect(f.cpu.threads).toBeNull();
      expect(f.memory.totalBytes).toBe(65843212 * 1024);
      expect(f.numa.nodes).toBe(2);
    } finally {
      // Release the thread-pool thread blocked opening the FIFO for reading.
      const fh = await open(cpuinfo, constants.O_WRONLY | constants.O_NONBLOCK);
      await fh.close();
    }
  });
});
