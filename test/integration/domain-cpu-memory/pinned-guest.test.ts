/**
 * A pinned guest with a NUMA cell and strict memory binding, started for real through
 * `virtfleet apply --local` (a real process, the real libvirtd): vCPU 0 on host CPU 0, vCPU 1
 * on CPU 1, QEMU's own threads on CPUs 0-1 (written "1,0" in the policy: libvirt's "0-1"
 * compares equal), memory bound to node 0. libvirt's answers (`virsh vcpupin`, `emulatorpin`,
 * `numatune`) confirm it; a second apply changes nothing; a changed pin is one restart change.
 * Needs two host CPUs (skipped naming that otherwise). Without KVM this runs under TCG.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh } from "../../harness/virsh.js";

const TWO_CPUS = cpus().length >= 2;
if (!TWO_CPUS) console.warn("pinned-guest.test.ts: skipped: the host has fewer than two CPUs to pin to");
const prefix = testPrefix();
const guest = `${prefix}pin`;
const dir = tempDir("vft-cmpin-");
const policies = join(dir.path, "policies");

function writePolicy(pinning: Record<string, unknown>): void {
  const domain = {
    name: guest,
    vcpus: 2,
    memory: "64MiB",
    topology: { sockets: 1, cores: 2, threads: 1 },
    pinning,
    numa: { cells: [{ cpus: "0-1", memory: "64MiB" }], memoryNodeset: "0", memoryMode: "strict" },
    state: "running",
  };
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "cmpin" },
    spec: { resources: { domains: [domain] } },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "p.yaml"), stringify(doc));
}
async function apply() {
  const r = await runCli(["apply", policies, "--local", "--json"]);
  return { code: r.code, domain: JSON.parse(r.stdout).resources.find((x: { kind: string }) => x.kind === "domain") };
}

beforeAll(() => assertBuilt());
afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe.skipIf(!TWO_CPUS)("a pinned NUMA guest", () => {
  it("starts pinned and bound; a second apply changes nothing; a changed pin is one restart change", async () => {
    writePolicy({ vcpus: { "0": "0", "1": "1" }, emulator: "1,0" });
    const r = await apply();
    expect(r.code, r.domain?.error).toBe(0);
    expect(await virsh("domstate", guest)).toMatch(/running/);
    const pins = (await virsh("vcpupin", guest)).split("\n").map((l) => l.trim().split(/\s+/));
    expect(pins.filter((p) => /^\d+$/.test(p[0]!))).toEqual([
      ["0", "0"],
      ["1", "1"],
    ]);
    expect((await virsh("emulatorpin", guest)).trim()).toMatch(/^(\*:\s+)?0-1$/);
    expect(await virsh("numatune", guest)).toMatch(/numa_mode\s+:\s+strict[\s\S]*numa_nodeset\s+:\s+0/);
    expect((await apply()).domain.outcome).toBe("ok");

    writePolicy({ vcpus: { "0": "1", "1": "1" }, emulator: "0-1" });
    const changed = await apply();
    expect(changed.domain.changes.map((c: { field: string; disruption: string }) => [c.field, c.disruption])).toEqual([
      ["pinning.vcpus", "restart"],
    ]);
    expect(changed.domain.pendingRestart).toBe(true);
  });
});
