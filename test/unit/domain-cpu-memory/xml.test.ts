/**
 * The CPU and memory area's XML without libvirt: for every field, what the builder writes
 * parses back to an empty diff; one field changed is exactly one change with its class on a
 * running guest (and live on a shut-off one); cpusets and CPU features compare canonically;
 * a spec without the new fields diffs as before (vcpus/memory restart).
 */
import { describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, parseDomainXml, type DomainBuildContext } from "../../../kinds/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { canonicalCpuset, parseCpuset } from "../../../kinds/domain/cpu-memory/cpuset.js";
import { tinyDomainSpec } from "../../harness/specs.js";

const MiB = 1024 ** 2;
const base = (): DomainSpec => tinyDomainSpec("cm", { vcpus: 2, memoryBytes: 128 * MiB });
const ctx: DomainBuildContext = { domainType: "kvm", diskPaths: new Map(), specHash: "a".repeat(64) };
const roundTrip = (spec: DomainSpec, c: DomainBuildContext = ctx) => parseDomainXml(buildDomainXml(spec, c));

const FULL: Partial<DomainSpec> = {
  vcpus: 2,
  maxVcpus: 4,
  memoryBytes: 128 * MiB,
  maxMemoryBytes: 256 * MiB,
  cpu: "custom",
  cpuModel: "Skylake-Server",
  cpuFeatures: { require: ["pcid", "sse4.2"], disable: ["hle"] },
  topology: { sockets: 1, cores: 2, threads: 2 },
  pinning: { vcpus: { "0": "2", "1": "3" }, emulator: "0-1" },
  numa: { cells: [{ cpus: "0-3", memoryBytes: 256 * MiB }], memoryNodeset: "0", memoryMode: "strict" },
  hugepages: "2MiB",
  memoryLock: true,
};

describe("cpu-memory: build → parse → diff", () => {
  it("every field at once reads back equal; so does each alone", () => {
    const full = { ...base(), ...FULL };
    expect(diffDomain(full, roundTrip(full), true)).toEqual([]);
    for (const [k, v] of Object.entries(FULL)) {
      const one = { ...base(), [k]: v } as DomainSpec;
      if (k === "cpuModel") one.cpu = "custom";
      if (k === "cpu") one.cpuModel = "qemu64";
      if (k === "topology") one.vcpus = 4;
      if (k === "numa") one.numa = { cells: [{ cpus: "0-1", memoryBytes: 128 * MiB }] };
      expect(diffDomain(one, roundTrip(one), true), k).toEqual([]);
    }
  });

  it.each<[string, Partial<DomainSpec>, string, "live" | "restart"]>([
    ["vcpus within maxVcpus", { vcpus: 3 }, "vcpus", "live"],
    ["vcpus with maxVcpus changed too: restart, two changes", { vcpus: 3, maxVcpus: 6 }, "maxVcpus+vcpus", "restart"],
    ["maxVcpus", { maxVcpus: 8 }, "maxVcpus", "restart"],
    ["memory within maxMemory", { memoryBytes: 192 * MiB }, "memory", "live"],
    ["maxMemory", { maxMemoryBytes: 512 * MiB, numa: undefined }, "maxMemory", "restart"],
    ["cpu mode", { cpu: "host-passthrough", cpuModel: undefined }, "cpu", "restart"],
    ["cpu model", { cpuModel: "Cascadelake-Server" }, "cpu.model", "restart"],
    ["cpu features", { cpuFeatures: { require: ["pcid"], disable: ["hle"] } }, "cpu.features", "restart"],
    ["topology", { topology: { sockets: 2, cores: 1, threads: 2 } }, "topology", "restart"],
    ["vcpu pins", { pinning: { vcpus: { "0": "2" }, emulator: "0-1" } }, "pinning.vcpus", "restart"],
    ["emulator pin", { pinning: { vcpus: { "0": "2", "1": "3" }, emulator: "0" } }, "pinning.emulator", "restart"],
    [
      "numa cells",
      {
        numa: {
          cells: [
            { cpus: "0-1", memoryBytes: 128 * MiB },
            { cpus: "2-3", memoryBytes: 128 * MiB },
          ],
          memoryNodeset: "0",
          memoryMode: "strict",
        },
      },
      "numa.cells",
      "restart",
    ],
    [
      "numa memory mode",
      { numa: { cells: [{ cpus: "0-3", memoryBytes: 256 * MiB }], memoryNodeset: "0", memoryMode: "interleave" } },
      "numa.memory",
      "restart",
    ],
    ["hugepages", { hugepages: "1GiB", maxMemoryBytes: 1024 * MiB, numa: undefined }, "hugepages+maxMemory", "restart"],
    ["memoryLock", { memoryLock: undefined }, "memoryLock", "restart"],
  ])("%s", (_, change, fields, cls) => {
    const spec: DomainSpec = { ...base(), ...FULL };
    // `numa: undefined` in a case: the guest has no NUMA cells to begin with (they fix the total memory)
    if ("numa" in change && change.numa === undefined) delete spec.numa;
    const actual = roundTrip(spec);
    const changes = diffDomain({ ...spec, ...change }, actual, true);
    expect(changes.map((c) => c.field).sort()).toEqual(fields.split("+").sort());
    if (cls === "live") expect(changes.map((c) => c.disruption)).toEqual(["live"]);
    else expect(changes.every((c) => c.disruption === "restart")).toBe(true);
    // on a shut-off guest the definition is all there is
    expect(diffDomain({ ...spec, ...change }, actual, false).every((c) => c.disruption === "live")).toBe(true);
  });

  it("without maxVcpus/maxMemory, vcpus and memory stay restart (as before)", () => {
    const actual = roundTrip(base());
    expect(diffDomain({ ...base(), vcpus: 3 }, actual, true)).toEqual([
      { field: "vcpus", from: 2, to: 3, disruption: "restart" },
    ]);
    expect(diffDomain({ ...base(), memoryBytes: 256 * MiB }, actual, true)).toEqual([
      { field: "memory", from: 128 * MiB, to: 256 * MiB, disruption: "restart" },
    ]);
    // adding a maximum to a guest that had none: one change, the maximum
    expect(diffDomain({ ...base(), maxVcpus: 4 }, actual, true).map((c) => c.field)).toEqual(["maxVcpus"]);
    expect(diffDomain({ ...base(), maxMemoryBytes: 256 * MiB }, actual, true).map((c) => c.field)).toEqual([
      "maxMemory",
    ]);
  });

  it("a field taken out of the spec is taken out of the guest (one change)", () => {
    const spec = { ...base(), ...FULL };
    const actual = roundTrip(spec);
    for (const k of ["topology", "hugepages", "memoryLock", "cpuFeatures"] as const) {
      const { [k]: _, ...rest } = spec;
      expect(
        diffDomain(rest as DomainSpec, actual, true).map((c) => c.field),
        k,
      ).toHaveLength(1);
    }
  });

  it("cpusets compare canonically; features as sets; the host's own disabled feature never counts", () => {
    const spec = { ...base(), ...FULL };
    const xml = buildDomainXml(spec, { ...ctx, cpuDisabledFeatures: ["arch-capabilities"] })
      .replace('cpuset="0-1"', 'cpuset="1,0"')
      .replace('cpus="0-3"', 'cpus="0,1,2-3"')
      .replace(
        /<feature policy="require" name="pcid"\/>\s*<feature policy="require" name="sse4.2"\/>/,
        '<feature policy="require" name="sse4.2"/><feature policy="require" name="pcid"/>',
      );
    expect(xml).toContain('name="arch-capabilities"');
    expect(diffDomain(spec, parseDomainXml(xml), true)).toEqual([]);
    expect(canonicalCpuset("0,1,2,5,7-8")).toBe("0-2,5,7-8");
    expect(canonicalCpuset("3,1")).toBe("1,3");
    expect(parseCpuset("4-2")).toBeNull();
    expect(parseCpuset("0-3,^1")).toBeNull();
  });

  it("a spec that requires a feature the host would disable gets it required", () => {
    const spec = { ...base(), cpuFeatures: { require: ["arch-capabilities"], disable: [] } };
    const xml = buildDomainXml(spec, { ...ctx, cpuDisabledFeatures: ["arch-capabilities"] });
    expect(xml).not.toContain('policy="disable"');
    expect(diffDomain(spec, parseDomainXml(xml), true)).toEqual([]);
  });

  it("writes libvirt's elements", () => {
    const xml = buildDomainXml({ ...base(), ...FULL }, ctx);
    for (const s of [
      '<memory unit="KiB">262144</memory>',
      '<currentMemory unit="KiB">131072</currentMemory>',
      '<vcpu placement="static" current="2">4</vcpu>',
      '<cpu mode="custom" match="exact">',
      "<model>Skylake-Server</model>",
      '<topology sockets="1" cores="2" threads="2"/>',
      '<cell id="0" cpus="0-3" memory="262144" unit="KiB"/>',
      '<vcpupin vcpu="0" cpuset="2"/>',
      '<emulatorpin cpuset="0-1"/>',
      '<memory mode="strict" nodeset="0"/>',
      '<page size="2048" unit="KiB"/>',
      "<locked/>",
    ])
      expect(xml).toContain(s);
  });

  it("parses what libvirt may write differently: unit on pages, no page size, force/forbid features", () => {
    const p = parseDomainXml(`<domain type='kvm'><name>d</name><memory unit='KiB'>1048576</memory>
      <memoryBacking><hugepages><page size='1' unit='G'/></hugepages></memoryBacking>
      <cpu mode='custom'><model fallback='allow'>qemu64</model><feature policy='force' name='b'/><feature policy='forbid' name='a'/></cpu></domain>`);
    expect(p.hugepages).toBe("1GiB");
    expect(p.cpuRequiredFeatures).toEqual(["b"]);
    expect(p.cpuDisabledFeatures).toEqual(["a"]);
    expect(p.cpuModel).toBe("qemu64");
    expect(
      parseDomainXml(`<domain><name>d</name><memory>1024</memory><memoryBacking><hugepages/></memoryBacking></domain>`)
        .hugepages,
    ).toBe("default");
  });
});
