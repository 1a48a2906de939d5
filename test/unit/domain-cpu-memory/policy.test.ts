/**
 * The CPU and memory fields at policy load: every bad combination the policy alone shows is
 * an error at its file:line:col; the resolved spec is canonical (equal meanings, equal
 * hashes) and a guest that uses none of the new fields resolves exactly as before.
 */
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../../../common/index.js";
import { domainSpecHash } from "../../../kinds/domain/resource.js";
import { lines, load, policy } from "../policy/helpers.js";

const domain = (fields: string) => policy("p", `    domains:\n      - name: d\n${fields}`);
const errs = (fields: string) => lines(load({ "p.yaml": domain(fields) }));
const resolved = (fields: string) => {
  const r = load({ "p.yaml": domain(fields) });
  expect(lines(r)).toEqual([]);
  return resolvePolicy(r.policies[0]!, { name: "kvm01" }).resources.domains[0]!;
};

describe("cpu-memory at policy load", () => {
  it("rejects each bad combination at its file:line:col", () => {
    expect(errs("        vcpus: 6\n        maxVcpus: 4\n        memory: 1GiB\n")).toEqual([
      "p.yaml:9:16: spec.resources.domains[0].vcpus: must be at most maxVcpus (4)",
    ]);
    expect(errs("        vcpus: 1\n        memory: 2GiB\n        maxMemory: 1GiB\n")).toEqual([
      "p.yaml:10:17: spec.resources.domains[0].memory: must be at most maxMemory (1GiB): the balloon cannot grow past the maximum",
    ]);
    expect(
      errs(
        "        vcpus: 2\n        maxVcpus: 8\n        memory: 1GiB\n        topology: {sockets: 1, cores: 2, threads: 2}\n",
      ),
    ).toEqual([
      "p.yaml:12:19: spec.resources.domains[0].topology: sockets × cores × threads = 4, but maxVcpus is 8: they must be equal",
    ]);
    expect(
      errs('        vcpus: 2\n        memory: 1GiB\n        pinning: {vcpus: {"5": "1"}, emulator: "3-1"}\n'),
    ).toEqual([
      'p.yaml:11:32: spec.resources.domains[0].pinning.vcpus["5"]: vCPU 5 does not exist: the guest has vCPUs 0 to 1 (vcpus)',
      'p.yaml:11:48: spec.resources.domains[0].pinning.emulator: invalid CPU set "3-1": numbers and ranges such as 0-3,6',
    ]);
    expect(
      errs(
        '        vcpus: 2\n        memory: 1GiB\n        numa: {cells: [{cpus: "0-1", memory: 512MiB}, {cpus: "1", memory: 256MiB}], memoryMode: strict}\n',
      ),
    ).toEqual([
      "p.yaml:11:23: spec.resources.domains[0].numa.cells: the cells' memory adds up to 805306368 bytes, but memory is 1073741824 bytes: libvirt takes the guest's memory from its cells, so they must be equal",
      "p.yaml:11:62: spec.resources.domains[0].numa.cells[1].cpus: vCPU 1 is already in cell 0",
      "p.yaml:11:97: spec.resources.domains[0].numa.memoryMode: needs memoryNodeset (the host NUMA nodes to bind the memory to)",
    ]);
    expect(
      errs(
        "        vcpus: 1\n        memory: 1GiB\n        cpu: {mode: custom, features: {require: [pcid], disable: [pcid]}}\n",
      ),
    ).toEqual([
      "p.yaml:11:14: spec.resources.domains[0].cpu: mode custom needs a model (e.g. Skylake-Server)",
      "p.yaml:11:67: spec.resources.domains[0].cpu.features.disable[0]: feature pcid is also required",
    ]);
    expect(errs("        vcpus: 1\n        memory: 1GiB\n        cpu: {mode: host-model, model: qemu64}\n")).toEqual([
      "p.yaml:11:40: spec.resources.domains[0].cpu.model: a model is only used with mode custom (mode is host-model)",
    ]);
    expect(errs('        vcpus: 1\n        memory: 1536MiB\n        hugepages: "1GiB"\n')).toEqual([
      "p.yaml:10:17: spec.resources.domains[0].memory: must be a whole number of 1GiB pages (hugepages: 1GiB)",
    ]);
    expect(
      errs(
        '        vcpus: 2\n        memory: 2GiB\n        hugepages: "1GiB"\n        numa: {cells: [{cpus: "0", memory: 1536MiB}, {cpus: "1", memory: 512MiB}]}\n',
      ).map((l) => l.replace(/^p\.yaml:\d+:\d+: /, "")),
    ).toEqual([
      "spec.resources.domains[0].numa.cells[0].memory: must be a whole number of 1GiB pages (hugepages: 1GiB)",
      "spec.resources.domains[0].numa.cells[1].memory: must be a whole number of 1GiB pages (hugepages: 1GiB)",
    ]);
    expect(errs('        vcpus: 1\n        memory: 1GiB\n        hugepages: "4MiB"\n')[0]).toMatch(
      /^p\.yaml:11:20: spec\.resources\.domains\[0\]\.hugepages: /,
    );
    expect(errs("        vcpus: 1\n        memory: 1GiB\n        cpu: custom\n")[0]).toMatch(/domains\[0\]\.cpu/);
  });

  it("resolves canonically: cpu object = string, sorted features, libvirt's cpusets, memoryLock false left out", () => {
    const a = resolved(
      "        vcpus: 2\n        memory: 1GiB\n        cpu: {mode: host-passthrough}\n        memoryLock: false\n",
    );
    const b = resolved("        vcpus: 2\n        memory: 1GiB\n        cpu: host-passthrough\n");
    expect(a).toEqual(b);
    expect(domainSpecHash(a)).toBe(domainSpecHash(b));
    const c = resolved(
      '        vcpus: 2\n        maxVcpus: 4\n        memory: 512MiB\n        maxMemory: 1GiB\n        cpu: {mode: custom, model: qemu64, features: {require: [sse4.2, pcid, pcid], disable: [svm]}}\n        topology: {sockets: 1, cores: 2, threads: 2}\n        pinning: {vcpus: {"1": "3,2", "0": "0,1"}, emulator: "1,0"}\n        numa: {cells: [{cpus: "0,1,2,3", memory: 1GiB}], memoryNodeset: "0"}\n        hugepages: "2MiB"\n        memoryLock: true\n',
    );
    expect(c).toMatchObject({
      vcpus: 2,
      maxVcpus: 4,
      memoryBytes: 512 * 1024 ** 2,
      maxMemoryBytes: 1024 ** 3,
      cpu: "custom",
      cpuModel: "qemu64",
      cpuFeatures: { require: ["pcid", "sse4.2"], disable: ["svm"] },
      topology: { sockets: 1, cores: 2, threads: 2 },
      pinning: { vcpus: { "0": "0-1", "1": "2-3" }, emulator: "0-1" },
      numa: { cells: [{ cpus: "0-3", memoryBytes: 1024 ** 3 }], memoryNodeset: "0", memoryMode: "strict" },
      hugepages: "2MiB",
      memoryLock: true,
    });
  });

  it("a guest without the new fields resolves to exactly the fields it had before", () => {
    const d = resolved("        vcpus: 2\n        memory: 1GiB\n");
    for (const k of [
      "maxVcpus",
      "maxMemoryBytes",
      "cpuModel",
      "cpuFeatures",
      "topology",
      "pinning",
      "numa",
      "hugepages",
      "memoryLock",
    ])
      expect(d, k).not.toHaveProperty(k);
    expect(d.cpu).toBe("host-model");
  });
});
