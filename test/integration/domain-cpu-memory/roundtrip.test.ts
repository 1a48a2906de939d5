/**
 * The CPU and memory fields against the real libvirtd: each one built, defined, read back
 * (`--inactive`) and diffed empty (libvirt's additions — `check='partial'`, `dies='1'`,
 * `fallback='allow'`, the memballoon — never count); one field changed is exactly one change
 * with its class on a running guest; what libvirt rewrites (a cpuset "0,1" as "0-1", the
 * order of CPU features) compares canonically. Definitions only: no guest is started here
 * (live.test.ts and hugepage-guest.test.ts start guests).
 */
import { afterAll, describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, parseDomainXml, type DomainBuildContext } from "../../../kinds/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { tinyDomainSpec } from "../../harness/specs.js";
import { cleanupPrefix, HOST_DOMAIN_TYPE, testPrefix } from "../../harness/virsh.js";
import { virsh, withXmlFile } from "../xml/virsh-xml.js";

const prefix = testPrefix();
const MiB = 1024 ** 2;
let n = 0;

afterAll(() => cleanupPrefix(prefix));

const base = (): DomainSpec =>
  tinyDomainSpec(`${prefix}${++n}`, { vcpus: 2, memoryBytes: 128 * MiB, state: "shutoff" });

const ctx = (): DomainBuildContext => ({
  domainType: HOST_DOMAIN_TYPE,
  diskPaths: new Map(),
  specHash: "a".repeat(64),
  // as on a nested host: never compared
  cpuDisabledFeatures: ["arch-capabilities"],
});

async function define(spec: DomainSpec): Promise<void> {
  await withXmlFile(buildDomainXml(spec, ctx()), (f) => virsh("define", f));
}
const stored = async (name: string) => parseDomainXml(await virsh("dumpxml", "--inactive", name));

type Case = [string, Partial<DomainSpec>, Partial<DomainSpec>, string, "live" | "restart"];

const CASES: Case[] = [
  ["maxVcpus: vcpus hot-plug", { vcpus: 1, maxVcpus: 4 }, { vcpus: 3 }, "vcpus", "live"],
  ["maxVcpus itself", { vcpus: 1, maxVcpus: 4 }, { maxVcpus: 6 }, "maxVcpus", "restart"],
  ["vcpus without maxVcpus (as before)", {}, { vcpus: 3 }, "vcpus", "restart"],
  ["cpu host-passthrough", { cpu: "host-passthrough" }, { cpu: "host-model" }, "cpu", "restart"],
  ["cpu custom model", { cpu: "custom", cpuModel: "qemu64" }, { cpuModel: "Nehalem" }, "cpu.model", "restart"],
  [
    "cpu features",
    { cpu: "custom", cpuModel: "qemu64", cpuFeatures: { require: ["pcid", "sse4.2"], disable: ["svm"] } },
    { cpuFeatures: { require: ["pcid", "sse4.2"], disable: ["svm", "vmx"] } },
    "cpu.features",
    "restart",
  ],
  [
    "features on host-model",
    { cpuFeatures: { require: [], disable: ["svm"] } },
    { cpuFeatures: { require: ["pcid"], disable: ["svm"] } },
    "cpu.features",
    "restart",
  ],
  [
    "topology",
    { vcpus: 4, topology: { sockets: 1, cores: 2, threads: 2 } },
    { topology: { sockets: 2, cores: 2, threads: 1 } },
    "topology",
    "restart",
  ],
  [
    "vcpu pinning",
    { pinning: { vcpus: { "0": "0", "1": "1" } } },
    { pinning: { vcpus: { "0": "1", "1": "1" } } },
    "pinning.vcpus",
    "restart",
  ],
  [
    "emulator pinning",
    { pinning: { vcpus: {}, emulator: "0-1" } },
    { pinning: { vcpus: {}, emulator: "0" } },
    "pinning.emulator",
    "restart",
  ],
  [
    "NUMA cells",
    {
      numa: {
        cells: [
          { cpus: "0", memoryBytes: 64 * MiB },
          { cpus: "1", memoryBytes: 64 * MiB },
        ],
      },
    },
    { numa: { cells: [{ cpus: "0-1", memoryBytes: 128 * MiB }] } },
    "numa.cells",
    "restart",
  ],
  [
    "NUMA memory binding",
    { numa: { cells: [], memoryNodeset: "0", memoryMode: "strict" } },
    { numa: { cells: [], memoryNodeset: "0", memoryMode: "preferred" } },
    "numa.memory",
    "restart",
  ],
  ["maxMemory: balloon", { maxMemoryBytes: 256 * MiB }, { memoryBytes: 96 * MiB }, "memory", "live"],
  ["maxMemory itself", { maxMemoryBytes: 256 * MiB }, { maxMemoryBytes: 512 * MiB }, "maxMemory", "restart"],
  ["memory without maxMemory (as before)", {}, { memoryBytes: 96 * MiB }, "memory", "restart"],
  ["hugepages 2MiB", { hugepages: "2MiB" }, { hugepages: undefined }, "hugepages", "restart"],
  ["hugepages 1GiB", { memoryBytes: 1024 * MiB, hugepages: "1GiB" }, { hugepages: "2MiB" }, "hugepages", "restart"],
  ["memoryLock", { memoryLock: true }, { memoryLock: undefined }, "memoryLock", "restart"],
];

describe("CPU and memory fields through the real libvirtd", () => {
  it.each(CASES)("%s: read back equal; one change is one change", async (_, fields, change, field, cls) => {
    const spec = { ...base(), ...fields };
    await define(spec);
    const actual = await stored(spec.name);
    expect(diffDomain(spec, actual, true)).toEqual([]);
    // a redefinition of the same spec (with its UUID) changes nothing either
    await withXmlFile(buildDomainXml(spec, { ...ctx(), uuid: actual.uuid! }), (f) => virsh("define", f));
    expect(diffDomain(spec, await stored(spec.name), true)).toEqual([]);
    const changed = diffDomain({ ...spec, ...change }, actual, true);
    expect(changed.map((c) => [c.field, c.disruption])).toEqual([[field, cls]]);
    // the changed spec, defined, reads back equal too
    await withXmlFile(buildDomainXml({ ...spec, ...change }, { ...ctx(), uuid: actual.uuid! }), (f) =>
      virsh("define", f),
    );
    expect(diffDomain({ ...spec, ...change }, await stored(spec.name), true)).toEqual([]);
  });

  it("what libvirt canonicalises compares canonically: cpusets, feature order", async () => {
    const spec: DomainSpec = {
      ...base(),
      vcpus: 3,
      cpu: "custom",
      cpuModel: "qemu64",
      cpuFeatures: { require: ["pcid", "sse4.2"], disable: ["svm"] },
      pinning: { vcpus: { "0": "0-1", "2": "1" }, emulator: "0-1" },
      numa: { cells: [{ cpus: "0-2", memoryBytes: 128 * MiB }], memoryNodeset: "0", memoryMode: "strict" },
    };
    // written by hand the way an operator might: "0,1" sets and features in another order
    const xml = buildDomainXml(spec, ctx())
      .replace(/cpuset="0-1"/g, 'cpuset="0,1"')
      .replace('cpus="0-2"', 'cpus="0,1,2"')
      .replace(
        /<feature policy="require" name="pcid"\/>\s*<feature policy="require" name="sse4.2"\/>/,
        '<feature policy="require" name="sse4.2"/><feature policy="require" name="pcid"/>',
      );
    expect(xml).toContain('cpuset="0,1"');
    expect(xml).toMatch(/name="sse4.2"\/><feature policy="require" name="pcid"/);
    await withXmlFile(xml, (f) => virsh("define", f));
    expect(diffDomain(spec, await stored(spec.name), true)).toEqual([]);
  });

  it("a spec without the new fields builds exactly the XML it built before (no vcpu current, no memoryBacking)", () => {
    const xml = buildDomainXml(base(), ctx());
    expect(xml).toContain('<vcpu placement="static">2</vcpu>');
    expect(xml).not.toMatch(/current=|memoryBacking|cputune|numatune|topology|<numa>/);
    expect(xml).toMatch(/<memory unit="KiB">131072<\/memory>\s*<currentMemory unit="KiB">131072<\/currentMemory>/);
  });
});
