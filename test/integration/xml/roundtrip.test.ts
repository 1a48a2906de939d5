/**
 * Round-trip stability against the real libvirtd: what the builders produce, once defined
 * and read back (`--inactive`), parses and diffs to zero changes; changing one spec field
 * (or one thing out of band with virsh) reports exactly that field.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDomainXml,
  buildNetworkXml,
  buildPoolXml,
  buildVolumeXml,
  diffDomain,
  diffNetwork,
  diffPool,
  diffVolume,
  parseDomainXml,
  parseNetworkXml,
  parsePoolXml,
  parseVolumeXml,
  type DomainBuildContext,
} from "../../../kinds/index.js";
import { canonicalHash } from "../../../common/canonical-json.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import type { NetworkSpec } from "../../../kinds/network/spec.js";
import type { PoolSpec } from "../../../kinds/pool/spec.js";
import type { VolumeSpec } from "../../../kinds/volume/spec.js";
import { HOST_DOMAIN_TYPE, KVM_AVAILABLE, NO_KVM } from "../../harness/virsh.js";

if (!KVM_AVAILABLE) console.warn(`roundtrip.test.ts, "the built guest starts": ${NO_KVM}`);
import { virsh, virshResult, withXmlFile } from "./virsh-xml.js";

const run = promisify(execFile);
const prefix = `vft-xml-${randomBytes(3).toString("hex")}-`;
const bridge = `vftx${randomBytes(2).toString("hex")}`;
const names = {
  net: `${prefix}nat`,
  pool: `${prefix}pool`,
  tiny: `${prefix}tiny`,
  disk: `${prefix}disk`,
};
let poolDir = "";
let subnet = "";

/** A 192.168.x.0/24 no host address and no libvirt network uses. */
async function freeSubnet(): Promise<string> {
  const { stdout: addrs } = await run("ip", ["-br", "addr"]);
  const nets: string[] = [];
  for (const n of (await virsh("net-list", "--all", "--name"))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)) {
    nets.push((await virshResult("net-dumpxml", n)).stdout);
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const x = randomInt(100, 250);
    const base = `192.168.${x}.`;
    if (!addrs.includes(base) && !nets.some((xml) => xml.includes(`'${base}`))) return `192.168.${x}`;
  }
  throw new Error("no free 192.168.x.0/24 subnet found");
}

function netSpec(): NetworkSpec {
  return {
    name: names.net,
    mode: "nat",
    bridge,
    ipv4: {
      address: `${subnet}.1`,
      prefix: 24,
      dhcp: {
        start: `${subnet}.100`,
        end: `${subnet}.200`,
        hosts: [
          { mac: "52:54:00:7A:00:01", ip: `${subnet}.11`, name: "tiny-a" },
          { mac: "52:54:00:7a:00:02", ip: `${subnet}.12`, name: null },
        ],
      },
    },
    mtu: 1500,
    autostart: false,
    state: "active",
  };
}

const poolSpec = (): PoolSpec => ({ name: names.pool, type: "dir", path: poolDir, autostart: false, state: "active" });
const baseVol = (): VolumeSpec => ({
  name: "base.qcow2",
  pool: names.pool,
  format: "qcow2",
  capacityBytes: 4 * 1024 * 1024,
  backingVolume: null,
  source: null,
  state: "present",
});
const overVol = (): VolumeSpec => ({
  name: "over.qcow2",
  pool: names.pool,
  format: "qcow2",
  capacityBytes: 8 * 1024 * 1024,
  backingVolume: "base.qcow2",
  source: null,
  state: "present",
});

function tinySpec(): DomainSpec {
  return {
    name: names.tiny,
    vcpus: 1,
    memoryBytes: 64 * 1024 * 1024,
    cpu: "host-passthrough",
    machine: "q35",
    disks: [],
    cdroms: [],
    interfaces: [
      { network: names.net, model: "virtio", mac: "52:54:00:7A:00:01" },
      { network: names.net, model: "e1000", mac: "52:54:00:7a:00:02" },
    ],
    cloudInit: null,
    graphics: "vnc",
    autostart: false,
    state: "running",
    restartOnChange: false,
  };
}

function diskSpec(): DomainSpec {
  return {
    ...tinySpec(),
    name: names.disk,
    machine: null,
    cpu: "host-model",
    graphics: "none",
    disks: [
      { pool: names.pool, volume: "over.qcow2", bus: "virtio" },
      { pool: names.pool, volume: "base.qcow2", bus: "sata" },
    ],
    cdroms: [{ path: join(poolDir, "none.iso") }],
    interfaces: [{ network: names.net, model: "virtio", mac: "52:54:00:7a:00:03" }],
    state: "shutoff",
  };
}

function ctxFor(spec: DomainSpec, uuid?: string): DomainBuildContext {
  return {
    domainType: HOST_DOMAIN_TYPE,
    diskPaths: new Map([
      [`${names.pool}/over.qcow2`, { path: join(poolDir, "over.qcow2"), format: "qcow2" }],
      [`${names.pool}/base.qcow2`, { path: join(poolDir, "base.qcow2"), format: "qcow2" }],
    ]),
    specHash: canonicalHash(spec),
    policy: "xml-roundtrip",
    // This host's nested KVM cannot give a guest IA32_ARCH_CAPABILITIES (QEMU aborts with
    // "failed to set MSR 0x10a"); only the started guest needs the workaround.
    cpuDisabledFeatures: spec.name === names.tiny ? ["arch-capabilities"] : undefined,
    uuid,
  };
}

const define = (xml: string) => withXmlFile(xml, (f) => virsh("define", f));
const dumpInactive = async (name: string) => parseDomainXml(await virsh("dumpxml", "--inactive", name));

beforeAll(async () => {
  poolDir = await mkdtemp(join(tmpdir(), `${prefix}pool-`));
  // The subnet can still be taken between the check and net-start: try another one.
  for (let attempt = 1; ; attempt++) {
    subnet = await freeSubnet();
    await withXmlFile(buildNetworkXml(netSpec()), (f) => virsh("net-define", f));
    const started = await virshResult("net-start", names.net);
    if (started.code === 0) break;
    await virshResult("net-undefine", names.net);
    if (attempt === 3) throw new Error(`net-start ${names.net} failed 3 times: ${started.stderr.trim()}`);
  }
  await withXmlFile(buildPoolXml(poolSpec()), (f) => virsh("pool-define", f));
  await virsh("pool-start", names.pool);
  await withXmlFile(buildVolumeXml(baseVol()), (f) => virsh("vol-create", names.pool, f));
  const basePath = (await virsh("vol-path", "--pool", names.pool, "base.qcow2")).trim();
  await withXmlFile(buildVolumeXml(overVol(), { backingPath: basePath, backingFormat: "qcow2" }), (f) =>
    virsh("vol-create", names.pool, f),
  );
  await define(buildDomainXml(tinySpec(), ctxFor(tinySpec())));
  await define(buildDomainXml(diskSpec(), ctxFor(diskSpec())));
});

afterAll(async () => {
  for (const d of [names.tiny, names.disk]) {
    await virshResult("destroy", d);
    await virshResult("undefine", d);
  }
  await virshResult("net-destroy", names.net);
  await virshResult("net-undefine", names.net);
  for (const v of ["over.qcow2", "base.qcow2"]) await virshResult("vol-delete", "--pool", names.pool, v);
  await virshResult("pool-destroy", names.pool);
  await virshResult("pool-undefine", names.pool);
  if (poolDir) await rm(poolDir, { recursive: true, force: true });
});

describe("network", () => {
  it("stored XML diffs to nothing; one changed field is reported alone", async () => {
    const parsed = parseNetworkXml(await virsh("net-dumpxml", "--inactive", names.net));
    expect(parsed.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(diffNetwork(netSpec(), parsed, true, { uuid: parsed.uuid! })).toEqual([]);

    const moreHosts = netSpec();
    moreHosts.ipv4!.dhcp!.hosts.push({ mac: "52:54:00:7a:00:09", ip: `${subnet}.19`, name: "new" });
    expect(diffNetwork(moreHosts, parsed, true)).toEqual([
      {
        field: "ipv4.dhcp.hosts[2]",
        from: null,
        to: { mac: "52:54:00:7a:00:09", ip: `${subnet}.19`, name: "new" },
        disruption: "live",
      },
    ]);
    expect(diffNetwork({ ...netSpec(), mtu: 1400 }, parsed, true)).toEqual([
      { field: "mtu", from: 1500, to: 1400, disruption: "restart" },
    ]);
  });

  it("redefining with the stored UUID changes nothing", async () => {
    const before = await virsh("net-dumpxml", "--inactive", names.net);
    const uuid = parseNetworkXml(before).uuid!;
    await withXmlFile(buildNetworkXml(netSpec(), { uuid }), (f) => virsh("net-define", f));
    const after = await virsh("net-dumpxml", "--inactive", names.net);
    expect(diffNetwork(netSpec(), parseNetworkXml(after), true, { uuid })).toEqual([]);
  });

  it("a DHCP host added out of band (net-update) is reported as exactly that host", async () => {
    const host = `<host mac='52:54:00:7a:00:0f' ip='${subnet}.15'/>`;
    await virsh("net-update", names.net, "add", "ip-dhcp-host", host, "--live", "--config");
    try {
      const parsed = parseNetworkXml(await virsh("net-dumpxml", "--inactive", names.net));
      expect(diffNetwork(netSpec(), parsed, true)).toEqual([
        {
          field: "ipv4.dhcp.hosts[52:54:00:7a:00:0f]",
          from: { mac: "52:54:00:7a:00:0f", ip: `${subnet}.15`, name: null },
          to: null,
          disruption: "live",
        },
      ]);
    } finally {
      await virsh("net-update", names.net, "delete", "ip-dhcp-host", host, "--live", "--config");
    }
  });
});

describe("pool and volumes", () => {
  it("pool-dumpxml diffs to nothing; a different path is reported alone", async () => {
    const parsed = parsePoolXml(await virsh("pool-dumpxml", "--inactive", names.pool));
    expect(diffPool(poolSpec(), parsed)).toEqual([]);
    expect(diffPool({ ...poolSpec(), path: "/srv/other" }, parsed)).toEqual([
      { field: "path", from: poolDir, to: "/srv/other", disruption: "recreate" },
    ]);
  });

  it("vol-dumpxml of a qcow2 volume and its overlay diff to nothing; capacity change reported alone", async () => {
    const base = parseVolumeXml(await virsh("vol-dumpxml", "--pool", names.pool, "base.qcow2"));
    expect(diffVolume(baseVol(), base)).toEqual([]);
    const over = parseVolumeXml(await virsh("vol-dumpxml", "--pool", names.pool, "over.qcow2"));
    expect(over.backingPath).toBe(join(poolDir, "base.qcow2"));
    expect(diffVolume(overVol(), over, { backingPath: join(poolDir, "base.qcow2"), backingFormat: "qcow2" })).toEqual(
      [],
    );
    expect(diffVolume({ ...overVol(), capacityBytes: 16 * 1024 * 1024 }, over)).toEqual([
      { field: "capacity", from: 8 * 1024 * 1024, to: 16 * 1024 * 1024, disruption: "live" },
    ]);
  });

  it("a live resize done with virsh shows up as capacity drift of the base volume", async () => {
    await virsh("vol-resize", "--pool", names.pool, "base.qcow2", "6M");
    const base = parseVolumeXml(await virsh("vol-dumpxml", "--pool", names.pool, "base.qcow2"));
    expect(diffVolume(baseVol(), base)).toEqual([
      { field: "capacity", from: 6 * 1024 * 1024, to: 4 * 1024 * 1024, disruption: "recreate", destructive: true },
    ]);
  });
});

describe("domains", () => {
  it("diskless guest (q35, two NICs, vnc): stored XML diffs to nothing; one changed field reported alone", async () => {
    const parsed = await dumpInactive(names.tiny);
    expect(parsed.machine).toMatch(/^pc-q35-/);
    const opts = { uuid: parsed.uuid!, domainType: HOST_DOMAIN_TYPE, specHash: canonicalHash(tinySpec()) };
    expect(diffDomain(tinySpec(), parsed, false, opts)).toEqual([]);
    expect(diffDomain(tinySpec(), parsed, true, opts)).toEqual([]);
    expect(diffDomain({ ...tinySpec(), vcpus: 2 }, parsed, true)).toEqual([
      { field: "vcpus", from: 1, to: 2, disruption: "restart" },
    ]);
    expect(diffDomain({ ...tinySpec(), vcpus: 2 }, parsed, false)).toEqual([
      { field: "vcpus", from: 1, to: 2, disruption: "live" },
    ]);
    const nics = tinySpec().interfaces;
    expect(
      diffDomain({ ...tinySpec(), interfaces: [nics[0]!, { ...nics[1]!, model: "rtl8139" }] }, parsed, true),
    ).toEqual([{ field: "interfaces[1].model", from: "e1000", to: "rtl8139", disruption: "restart" }]);
  });

  it("guest with pool volumes (type='volume'), a sata disk and a cdrom: stored XML diffs to nothing", async () => {
    const parsed = await dumpInactive(names.disk);
    expect(parsed.disks.map((d) => [d.target, d.pool, d.volume])).toEqual([
      ["vda", names.pool, "over.qcow2"],
      ["sda", names.pool, "base.qcow2"],
    ]);
    expect(
      diffDomain(diskSpec(), parsed, false, { uuid: parsed.uuid!, diskPaths: ctxFor(diskSpec()).diskPaths }),
    ).toEqual([]);
    const disks = diskSpec().disks;
    expect(diffDomain({ ...diskSpec(), disks: [disks[0]!] }, parsed, true)).toEqual([
      {
        field: "disks[sda]",
        from: { pool: names.pool, volume: "base.qcow2", bus: "sata" },
        to: null,
        disruption: "restart",
      },
    ]);
  });

  it("redefining from the spec with the stored UUID is byte-stable", async () => {
    for (const spec of [tinySpec(), diskSpec()]) {
      const before = await virsh("dumpxml", "--inactive", spec.name);
      const uuid = parseDomainXml(before).uuid!;
      await define(buildDomainXml(spec, ctxFor(spec, uuid)));
      expect(await virsh("dumpxml", "--inactive", spec.name)).toBe(before);
    }
  });

  it("redefining without the UUID is refused by libvirt (the engine must pass actual.uuid)", async () => {
    const r = await withXmlFile(buildDomainXml(tinySpec(), ctxFor(tinySpec())), (f) => virshResult("define", f));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already exists with uuid/);
  });

  it.skipIf(!KVM_AVAILABLE)(
    "the built guest (CPU mode host-passthrough: needs kvm) starts; its inactive and live XML still diff to nothing",
    async () => {
      await virsh("start", names.tiny);
      try {
        const spec = tinySpec();
        expect(diffDomain(spec, await dumpInactive(names.tiny), true)).toEqual([]);
        expect(diffDomain(spec, parseDomainXml(await virsh("dumpxml", names.tiny)), true)).toEqual([]);
      } finally {
        await virshResult("destroy", names.tiny);
      }
    },
  );

  it("memory ballooned out of band in the definition is reported as the memory field", async () => {
    await virsh("setmem", names.tiny, "32M", "--config");
    const parsed = await dumpInactive(names.tiny);
    expect(diffDomain(tinySpec(), parsed, false)).toEqual([
      {
        field: "memory",
        from: { max: 64 * 1024 * 1024, current: 32 * 1024 * 1024 },
        to: 64 * 1024 * 1024,
        disruption: "live",
      },
    ]);
  });
});
