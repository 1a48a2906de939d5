/**
 * A volume whose pool the bundle does not declare: its type is read from libvirt at the plan
 * stage. The agent's planner against the real libvirtd, with a `dir` pool made out of band
 * with virsh: a format the pool type does not support is a failed resource in the fleet plan,
 * under the host's name, with a message naming the pool and its type; nothing is created.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Planner } from "../../../agent/plan/index.js";
import { createLogger } from "../../../common/index.js";
import { validatePlanResult } from "../../../controller/agent-messages/index.js";
import { aggregatePlan } from "../../../controller/plan/index.js";
import type { VolumeSpec } from "../../../kinds/volume/spec.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { resolvedPolicy } from "../../harness/specs.js";
import { virsh, virshResult } from "../../harness/virsh.js";

const pool = `vft-vo-${randomBytes(3).toString("hex")}-plan`;
const dir = mkdtempSync(join(tmpdir(), "vft-vo-plan-"));
let hv: Hypervisor;
let planner: Planner;

const vol = (over: Partial<VolumeSpec>): VolumeSpec => ({
  name: "data",
  pool,
  format: null,
  capacityBytes: 8 * 1024 * 1024,
  backingVolume: null,
  source: null,
  state: "present",
  ...over,
});

function bundle(volumes: VolumeSpec[]) {
  const p = resolvedPolicy("storage", { volumes });
  return {
    revision: "b1",
    generation: 1,
    policies: [{ name: "storage", revision: "p1", mode: "enforce", resolvedJson: JSON.stringify(p) }],
  };
}

beforeAll(async () => {
  await virsh("pool-create-as", pool, "dir", "--target", dir);
  hv = await Hypervisor.open();
  planner = new Planner({ hypervisor: async () => hv, log: createLogger("plan-test", "silent") });
});

afterAll(async () => {
  await planner?.stop();
  await hv?.close();
  if ((await virshResult("pool-info", pool)).code === 0) await virshResult("pool-destroy", pool);
  rmSync(dir, { recursive: true, force: true });
});

describe("plan: a volume checked against the type of a pool the host has", () => {
  it("a partition type in a dir pool is failed under the host's name; an allowed format plans a create", async () => {
    const r = await planner.plan("cmd-1", bundle([vol({ format: "linux" }), vol({ name: "ok.raw", format: "raw" })]));
    expect(r.error).toBe("");
    const valid = validatePlanResult({ ...r, resources: r.resources.map((o) => ({ ...o, changes: [] })) });
    const plan = aggregatePlan({
      policy: "storage",
      revision: "b1",
      previousRevision: null,
      targets: ["kvm01.lab"],
      answers: new Map([
        ["kvm01.lab", { status: "planned", resources: valid.resources, durationMs: valid.durationMs }],
      ]),
      now: Date.now(),
    });
    const host = plan.hosts.find((h) => h.name === "kvm01.lab")!;
    expect(host).toBeDefined();
    const failed = r.resources.find((o) => o.name === `${pool}/data`)!;
    expect(failed.outcome).toBe("failed");
    expect(failed.error).toBe(
      `volume ${pool}/data: format: pool "${pool}" is of type dir: format linux is not one it supports (raw, qcow2, qed, vmdk, vpc, vdi); nothing was changed`,
    );
    expect(host).toMatchObject({ failed: 1, create: 1 });
    expect(host.resources.find((x) => x.name === `${pool}/data`)).toMatchObject({
      action: "failed",
      error: expect.stringContaining("is of type dir: format linux is not one it supports"),
    });
    expect(r.resources.find((o) => o.name === `${pool}/ok.raw`)).toMatchObject({ outcome: "drift" });
    expect(readdirSync(dir)).toEqual([]);
  });
});
