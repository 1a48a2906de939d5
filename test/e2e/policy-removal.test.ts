import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanJson } from "../../controller/plan/index.js";
import { runCli, waitFor } from "../harness/processes.js";
import { domainState, markerDomain, policyDoc, RolloutFleet, rolloutBlock } from "../harness/rollout.js";

/**
 * Issue 21 item 5 with a real controller and two real agents: a truncated policy file is an
 * error (the hosts keep the policy, no rollout), and deleting the file removes the policy
 * through a staged rollout (plan, canary, batch, soak) whose plan lists what is left
 * unmanaged; the guests stay defined.
 */
const fleet = new RolloutFleet();
const POLICY = "rm";
const FILE = "rm.yaml";
const doc = policyDoc(POLICY, {
  rollout: rolloutBlock({ canary: 1, batchSize: 1, soak: "1s" }),
  resources: { domains: [markerDomain("m", 64)] },
});
const h = (i: number) => fleet.host(i);
const cli = (...args: string[]) => runCli([...args, "--controller", fleet.controller.address, "--insecure"]);

let revision: string;
let rolloutId: string;

beforeAll(async () => {
  await fleet.start({ hosts: 2, files: { [FILE]: JSON.stringify(doc) } });
  revision = await fleet.waitNewRevision(POLICY, undefined);
  const done = await fleet.waitFinished(POLICY, revision, 120_000);
  expect(done.state).toBe("succeeded");
  rolloutId = done.id;
}, 180_000);
afterAll(() => fleet.stop());

describe("removing a policy", () => {
  it("a truncated file is rejected naming the file; the hosts keep the policy and no rollout starts", async () => {
    const since = Date.now();
    writeFileSync(join(fleet.policiesDir, FILE), "");
    const rejected = await waitFor(
      "the truncated file to be rejected",
      async () => {
        const r = await cli("policies", "--json");
        const errors = (JSON.parse(r.stdout) as { errors?: string[] }).errors ?? [];
        return errors.find((e) => e.includes(`${FILE}:1:1`));
      },
      15_000,
      200,
    );
    expect(rejected).toContain("empty file");
    // Give a wrongly accepted removal time to reach the hosts.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await fleet.policyRevision(POLICY)).toBe(revision);
    const s = await fleet.status(POLICY);
    expect([s?.id, s?.state]).toEqual([rolloutId, "succeeded"]);
    for (const host of [h(1), h(2)]) {
      expect(fleet.bundlesReceived(host, since)).toEqual([]);
      expect(await fleet.hostPolicy(host, POLICY)).toBeDefined();
    }
    // Restoring the same content changes nothing (no fresh canary).
    writeFileSync(join(fleet.policiesDir, FILE), JSON.stringify(doc));
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await fleet.status(POLICY))?.id).toBe(rolloutId);
  }, 60_000);

  it("a deleted file is a staged removal rollout: plan, canary, batch; the guests are left in place", async () => {
    const since = Date.now();
    rmSync(join(fleet.policiesDir, FILE));
    const s = await fleet.waitStatus(
      POLICY,
      "the removal rollout to succeed",
      (x) => x.revision === "removed" && x.state === "succeeded",
      120_000,
    );
    expect(s.previousRevision).toBe(revision);
    expect(s.stages.map((x) => [x.kind, x.hosts, x.state])).toEqual([
      ["plan", [], "succeeded"],
      ["canary", [h(1)], "succeeded"],
      ["batch", [h(2)], "succeeded"],
    ]);
    // Staged: the second host lost the policy only when its batch started, after the canary's soak.
    const batchStart = Date.parse(s.stages[2]!.startedAt!);
    expect(Date.parse(s.stages[1]!.finishedAt!)).toBeLessThanOrEqual(batchStart);
    const h2Bundle = fleet.bundlesReceived(h(2), since)[0];
    expect(h2Bundle).toBeDefined();
    expect(h2Bundle!.time).toBeGreaterThanOrEqual(batchStart - 50);
    // The plan stage showed what the removal leaves unmanaged on each host.
    const plan = s.plan as PlanJson;
    expect(plan.revision).toBe("removed");
    expect(plan.hosts.map((x) => [x.name, x.status, x.resources.map((r) => [r.kind, r.name, r.action])])).toEqual([
      [h(1), "planned", [["domain", `${h(1)}-m`, "unmanage"]]],
      [h(2), "planned", [["domain", `${h(2)}-m`, "unmanage"]]],
    ]);
    // Left in place, no longer in the hosts' bundles.
    for (const host of [h(1), h(2)]) {
      expect(await domainState(`${host}-m`)).toBe("shut off");
      await waitFor("the policy to leave compliance", async () =>
        (await fleet.hostPolicy(host, POLICY)) === undefined ? true : undefined,
      );
    }
  }, 180_000);

  it("`plan` of the removed policy exits 0 and says no host holds it any more", async () => {
    const r = await cli("plan", POLICY, "--timeout", "5s");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("removal of revision");
    expect(r.stdout).toContain("No host holds this policy any more");
    const j = await cli("plan", POLICY, "--timeout", "5s", "--json");
    expect((JSON.parse(j.stdout) as PlanJson).targets).toBe(0);
  }, 30_000);

  it("added back it rolls out from nothing; a removal rolled back during its soak gives the canary the policy back", async () => {
    // The removal's canary soaks long enough for the rollback below (a few CLI calls); the
    // policy's own rollout soaks as long first (two stages), so no longer than that.
    const slow = policyDoc(POLICY, {
      rollout: rolloutBlock({ canary: 1, batchSize: 1, soak: "10s" }),
      resources: { domains: [markerDomain("m", 64)] },
    });
    fleet.write(FILE, JSON.stringify(slow));
    const back = await fleet.waitNewRevision(POLICY, undefined);
    const added = await fleet.waitStatus(POLICY, "the policy's new rollout to start", (x) => x.revision === back);
    expect(added.previousRevision).toBeUndefined();
    // Let it finish quickly: this test is about the removal's rollback.
    await fleet.waitFinished(POLICY, back, 120_000);

    rmSync(join(fleet.policiesDir, FILE));
    await fleet.waitStatus(
      POLICY,
      "the removal's canary to soak",
      (x) => x.revision === "removed" && x.stages[1]?.state === "soaking",
      60_000,
    );
    await waitFor("the canary to lose the policy", async () =>
      (await fleet.hostPolicy(h(1), POLICY)) === undefined ? true : undefined,
    );
    // The batch host still holds it: its stage has not started.
    expect(await fleet.hostPolicy(h(2), POLICY)).toBeDefined();
    await fleet.control("rollback", POLICY);
    const s = await fleet.waitStatus(POLICY, "the removal to roll back", (x) => x.state === "rolledback", 60_000);
    expect(s.revision).toBe("removed");
    await waitFor("the canary to hold the policy again", async () =>
      (await fleet.hostPolicy(h(1), POLICY)) !== undefined ? true : undefined,
    );
  }, 300_000);

  it("a file deleted while the controller was down is removed in stages after its restart; a rolled-back removal stays rolled back", async () => {
    const other = "rm2";
    fleet.write(
      "rm2.yaml",
      JSON.stringify(
        policyDoc(other, {
          rollout: rolloutBlock({ canary: 1, batchSize: 1, soak: "1s" }),
          resources: { domains: [markerDomain("m2", 64)] },
        }),
      ),
    );
    const rev = await fleet.waitNewRevision(other, undefined);
    expect((await fleet.waitFinished(other, rev, 120_000)).state).toBe("succeeded");
    const port = fleet.controller.port;
    await fleet.controller.proc.stop("SIGKILL");
    rmSync(join(fleet.policiesDir, "rm2.yaml"));
    await fleet.startController(port);
    const s = await fleet.waitStatus(
      other,
      "the missed removal to succeed",
      (x) => x.revision === "removed" && x.state === "succeeded",
      120_000,
    );
    expect(s.stages.map((x) => x.kind)).toEqual(["plan", "canary", "batch"]);
    for (const host of [h(1), h(2)]) {
      await waitFor("rm2 to leave the host", async () =>
        (await fleet.hostPolicy(host, other)) === undefined ? true : undefined,
      );
      // The removal of `rm` rolled back before the restart: its hosts still hold it.
      expect(await fleet.hostPolicy(host, POLICY)).toBeDefined();
    }
    expect((await fleet.status(POLICY))?.state).toBe("rolledback");
  }, 240_000);
});
