/**
 * vCPU and memory changes on a RUNNING guest through `virtfleet apply --local` (a real
 * process, the real libvirtd), a diskless guest without an operating system:
 * - `vcpus` up to `maxVcpus` is hot-plugged live: QEMU adds the vCPU without the guest's help
 *   (`virsh vcpucount --live`), nothing is pending, a second apply changes nothing;
 * - lowering `vcpus` needs the guest OS to release the vCPU: here QEMU refuses the unplug
 *   ("device unplug request for not supported device type"), so the run fails naming it,
 *   and the definition already has the new count (it applies at the next boot);
 * - `memory` up to `maxMemory` goes to the balloon live (libvirt accepts the new target; a
 *   guest without an OS has no balloon driver to act on it — the real-boot test checks the
 *   effect from inside a guest), nothing pending;
 * - `maxVcpus` / `maxMemory` changes are restart (pending).
 * Without KVM this runs under TCG.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh } from "../../harness/virsh.js";

const prefix = testPrefix();
const guest = `${prefix}live`;
const dir = tempDir("vft-cmlive-");
const policies = join(dir.path, "policies");

function writePolicy(fields: Record<string, unknown>): void {
  const domain = { name: guest, state: "running", ...fields };
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "cmlive" },
    spec: { resources: { domains: [domain] } },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "p.yaml"), stringify(doc));
}

interface DomainReport {
  outcome: string;
  error?: string;
  pendingRestart?: boolean;
  changes: { field: string; from: unknown; to: unknown; disruption: string }[];
}
async function apply(...extra: string[]): Promise<{ code: number | null; domain: DomainReport }> {
  const r = await runCli(["apply", policies, "--local", "--json", "--shutdown-timeout", "2s", ...extra]);
  return { code: r.code, domain: JSON.parse(r.stdout).resources.find((x: { kind: string }) => x.kind === "domain") };
}
const vcpuCount = async (...flags: string[]) => Number((await virsh("vcpucount", guest, ...flags)).trim());
const kib = async (inactive: boolean, el: string) =>
  Number(
    new RegExp(`<${el} unit='KiB'>(\\d+)<`).exec(
      await virsh("dumpxml", ...(inactive ? ["--inactive"] : []), guest),
    )![1],
  );

beforeAll(() => assertBuilt());
afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

const BASE = { vcpus: 1, maxVcpus: 4, memory: "128MiB", maxMemory: "256MiB" };

describe("live vCPU and memory changes on a running guest", () => {
  it("starts with vcpus 1 of 4 and memory 128MiB of 256MiB", async () => {
    writePolicy(BASE);
    expect((await apply()).code).toBe(0);
    expect(await virsh("domstate", guest)).toMatch(/running/);
    expect(await vcpuCount("--live", "--current")).toBe(1);
    expect(await vcpuCount("--live", "--maximum")).toBe(4);
    expect(await kib(true, "currentMemory")).toBe(128 * 1024);
    expect(await kib(true, "memory")).toBe(256 * 1024);
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("vcpus 1 → 2 is hot-plugged: live, nothing pending, second apply no-op", async () => {
    writePolicy({ ...BASE, vcpus: 2 });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.changes).toEqual([{ field: "vcpus", from: 1, to: 2, disruption: "live" }]);
    expect(r.domain.pendingRestart).toBeFalsy();
    expect(await vcpuCount("--live", "--current")).toBe(2);
    expect(await vcpuCount("--config", "--current")).toBe(2);
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("memory 128MiB → 96MiB goes to the balloon: live, nothing pending", async () => {
    writePolicy({ ...BASE, vcpus: 2, memory: "96MiB" });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.changes).toEqual([
      { field: "memory", from: 128 * 1024 ** 2, to: 96 * 1024 ** 2, disruption: "live" },
    ]);
    expect(r.domain.pendingRestart).toBeFalsy();
    expect(await kib(true, "currentMemory")).toBe(96 * 1024);
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("lowering vcpus needs the guest OS: without one QEMU refuses, the run fails naming it", async () => {
    writePolicy({ ...BASE, vcpus: 1, memory: "96MiB" });
    const r = await apply();
    expect(r.code).not.toBe(0);
    expect(r.domain.outcome).toBe("failed");
    expect(r.domain.error).toMatch(/unplug|device_del/);
    // the definition has the new count; the running guest keeps 2 until it restarts
    expect(await vcpuCount("--config", "--current")).toBe(1);
    expect(await vcpuCount("--live", "--current")).toBe(2);
    const again = await apply();
    expect(again.domain.pendingRestart).toBe(true);
  });

  it("maxVcpus and maxMemory are restart (pending)", async () => {
    writePolicy({ ...BASE, vcpus: 1, memory: "96MiB", maxVcpus: 3, maxMemory: "192MiB" });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.changes.map((c) => [c.field, c.disruption]).sort()).toEqual([
      ["maxMemory", "restart"],
      ["maxVcpus", "restart"],
    ]);
    expect(r.domain.pendingRestart).toBe(true);
    expect(await vcpuCount("--config", "--maximum")).toBe(3);
    expect(await vcpuCount("--live", "--maximum")).toBe(4);
  });
});
