/**
 * host.hugepages against a fixture /sys (the real kernel is exercised in
 * test/integration/domain-cpu-memory/host-hugepages.test.ts): drift is a different
 * nr_hugepages, repaired by writing it, reported without writing in audit (apply=false);
 * a size the kernel lacks fails naming the host and the field unless 0 is asked; two
 * policies merge, and different counts for one size conflict. Also the guest's plan-stage
 * host check (pinned CPUs, NUMA nodes, free pages) with a stand-in for libvirt's answers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolvePolicy } from "../../../common/index.js";
import { checkCpuMemoryOnHost } from "../../../kinds/domain/cpu-memory/host-check.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { checkApplyHugepages } from "../../../kinds/host/hugepages/apply.js";
import { mergeHostPrereqs } from "../../../kinds/host/merge.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import { tinyDomainSpec } from "../../harness/specs.js";
import { lines, load, policy } from "../policy/helpers.js";

let sys: string;
const pool = (kb: number) => join(sys, "kernel", "mm", "hugepages", `hugepages-${kb}kB`);
function makePool(kb: number, total: number, free = total): void {
  mkdirSync(pool(kb), { recursive: true });
  writeFileSync(join(pool(kb), "nr_hugepages"), `${total}\n`);
  writeFileSync(join(pool(kb), "free_hugepages"), `${free}\n`);
}
const nr = (kb: number) => readFileSync(join(pool(kb), "nr_hugepages"), "utf8").trim();

beforeEach(() => {
  sys = mkdtempSync(join(tmpdir(), "vft-hp-"));
});
afterEach(() => rmSync(sys, { recursive: true, force: true }));

describe("host.hugepages", () => {
  it("drift is a different count; apply writes it; a second run changes nothing", async () => {
    makePool(2048, 0);
    expect(await checkApplyHugepages(sys, { "2MiB": 16 }, false, "host kvm01")).toEqual([
      { field: "hugepages.2MiB", from: 0, to: 16, disruption: "live" },
    ]);
    expect(nr(2048)).toBe("0");
    await checkApplyHugepages(sys, { "2MiB": 16 }, true, "host kvm01");
    expect(nr(2048)).toBe("16");
    writeFileSync(join(pool(2048), "free_hugepages"), "16\n");
    expect(await checkApplyHugepages(sys, { "2MiB": 16 }, true, "host kvm01")).toEqual([]);
  });

  it("a size the kernel lacks fails naming the host and the field, unless 0 is asked", async () => {
    makePool(2048, 0);
    await expect(checkApplyHugepages(sys, { "1GiB": 2 }, false, "host kvm01")).rejects.toThrow(
      /^host\.hugepages\["1GiB"\]: host kvm01 has no 1GiB hugepages \(the kernel offers no \/sys\/kernel\/mm\/hugepages\/hugepages-1048576kB\); nothing was changed$/,
    );
    expect(await checkApplyHugepages(sys, { "1GiB": 0 }, true, "host kvm01")).toEqual([]);
  });

  it("loads, resolves and merges; two policies asking different counts for one size conflict", () => {
    const r = load({
      "a.yaml": policy("a", '    host: {hugepages: {"2MiB": 512, "1GiB": 0}}\n'),
      "b.yaml": policy("b", '    host: {hugepages: {"2MiB": 512}}\n'),
    });
    expect(lines(r)).toEqual([]);
    const specs = r.policies.map((p) => resolvePolicy(p, { name: "kvm01" }).resources.host!);
    expect(specs[0]!.hugepages).toEqual({ "2MiB": 512, "1GiB": 0 });
    const merged = mergeHostPrereqs(specs.map((spec, i) => ({ policy: `p${i}`, priority: i, mode: "enforce", spec })));
    expect(merged!.spec.hugepages).toEqual({ "2MiB": 512, "1GiB": 0 });
    // equal counts agree; different counts for one size conflict, like a sysctl key
    expect(r.conflicts).toEqual([]);
    const diff = load({
      "a.yaml": policy("a", '    host: {hugepages: {"2MiB": 512, "1GiB": 0}}\n'),
      "b.yaml": policy("b", '    host: {hugepages: {"2MiB": 64, "1GiB": 0}}\n'),
    });
    expect(diff.conflicts.map((c) => c.identity)).toEqual(["hugepages/2MiB"]);
    expect(lines(load({ "a.yaml": policy("a", '    host: {hugepages: {"4MiB": 1}}\n') }))[0]).toMatch(
      /^a\.yaml:\d+:\d+: spec\.resources\.host\.hugepages\["4MiB"\]: unknown field "4MiB" \(did you mean "2MiB"\?\)$/,
    );
    // a host without hugepages resolves as before (no key)
    const plain = load({ "c.yaml": policy("c", "    host: {kernelModules: [kvm]}\n") });
    expect(resolvePolicy(plain.policies[0]!, { name: "kvm01" }).resources.host).not.toHaveProperty("hugepages");
  });
});

describe("a guest's CPU and memory against its host (plan stage)", () => {
  const caps = `<capabilities><host><topology><cells num='1'><cell id='0'><cpus num='2'>
    <cpu id='0'/><cpu id='1'/></cpus></cell></cells></topology></host></capabilities>`;
  const hv = (active = false) =>
    ({
      capabilitiesXml: async () => caps,
      nodeInfo: async () => ({ cpus: 2, nodes: 1 }),
      domainIsActive: async () => active,
    }) as unknown as Hypervisor;
  const ref = { name: "g", uuid: "u", id: -1 } as unknown as DomainRef;
  const guest = (patch: Partial<DomainSpec>): DomainSpec => tinyDomainSpec("g", { vcpus: 2, ...patch });

  it("pinning to CPUs and nodesets the host lacks fails naming the host and every field", async () => {
    await expect(
      checkCpuMemoryOnHost(
        guest({
          pinning: { vcpus: { "0": "1", "1": "2-3" }, emulator: "0-1" },
          numa: { cells: [], memoryNodeset: "1" },
        }),
        hv(),
        null,
        false,
        { hostName: "kvm01", sysRoot: sys },
      ),
    ).rejects.toThrow(
      "domain g: host kvm01 cannot give it what it asks for: pinning.vcpus.1: CPU 2, 3 does not exist (the host has CPUs 0-1); numa.memoryNodeset: NUMA node 1 does not exist (the host has nodes 0). Fix the policy or the host; the guest was not defined or changed",
    );
    await checkCpuMemoryOnHost(guest({ pinning: { vcpus: { "0": "1" }, emulator: "0-1" } }), hv(), null, false, {
      sysRoot: sys,
    });
  });

  it("hugepages: the size must exist, and a guest that would start needs enough free pages", async () => {
    await expect(
      checkCpuMemoryOnHost(guest({ hugepages: "1GiB" }), hv(), null, true, { sysRoot: sys }),
    ).rejects.toThrow(/this host cannot give it what it asks for: hugepages: the host has no 1GiB hugepages/);
    makePool(2048, 16, 10);
    await expect(
      checkCpuMemoryOnHost(guest({ hugepages: "2MiB" }), hv(), null, true, { sysRoot: sys }),
    ).rejects.toThrow(/hugepages: the guest needs 32 free 2MiB pages \(64\.0 MiB\), the host has 10 free/);
    // a running guest holds its pages already; a shut-off one needs none now
    await checkCpuMemoryOnHost(guest({ hugepages: "2MiB" }), hv(true), ref, true, { sysRoot: sys });
    await checkCpuMemoryOnHost(guest({ hugepages: "2MiB", state: "shutoff" }), hv(), null, true, { sysRoot: sys });
    // a dry-run counts what the bundle's host resource reserves first
    await checkCpuMemoryOnHost(guest({ hugepages: "2MiB" }), hv(), null, false, {
      sysRoot: sys,
      reserved: { "2MiB": 40 },
    });
    await expect(
      checkCpuMemoryOnHost(guest({ hugepages: "2MiB" }), hv(), null, false, { sysRoot: sys, reserved: { "2MiB": 20 } }),
    ).rejects.toThrow(/the host has 14 free/);
  });
});
