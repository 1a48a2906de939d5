import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForHost } from "../harness/fleet.js";
import { waitFor } from "../harness/processes.js";
import {
  RolloutFleet,
  StatusRecorder,
  definedMemoryMiB,
  domainState,
  markerDomain,
  policyDoc,
  rolloutBlock,
  runningDomain,
  stageOrderViolation,
  type RolloutStatusJson,
} from "../harness/rollout.js";

// Rollouts that outlive a controller, and hosts that enrol while one runs. Four agents share
// this machine's libvirtd; `<prefix>hN-cfg` is a shut-off guest whose memory in MiB marks
// the revision host hN holds (v1 80, v2 96, v3 112).
const fleet = new RolloutFleet();
const POLICY = "app";
const FILE = "app.yaml";
const h = (i: number) => fleet.host(i);
const cfgOf = (host: string) => definedMemoryMiB(`${host}-cfg`);

function appDoc(cfgMiB: number, soak: string): Record<string, unknown> {
  return policyDoc(POLICY, {
    rollout: rolloutBlock({ canary: 1, batchSize: 2, soak }),
    resources: { domains: [runningDomain("web"), markerDomain("cfg", cfgMiB)] },
  });
}

async function everyHostAt(hosts: string[], mib: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `${hosts.join(", ")} at ${mib} MiB`,
    async () => {
      for (const n of hosts) if ((await cfgOf(n)) !== mib) return undefined;
      return true;
    },
    timeoutMs,
    250,
  );
}

let v1 = "";

beforeAll(async () => {
  await fleet.start({ hosts: 4 });
  fleet.write(FILE, appDoc(80, "0s"));
  v1 = await fleet.waitNewRevision(POLICY, undefined);
  const s = await fleet.waitFinished(POLICY, v1);
  if (s.state !== "succeeded") throw new Error(`the first revision did not roll out: ${JSON.stringify(s)}`);
  await everyHostAt(fleet.hosts, 80);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe("rollouts across a controller restart and late enrolment", () => {
  let v2 = "";
  it("a controller killed during the canary's soak resumes the same rollout from the same stage and finishes it", async () => {
    const rec = new StatusRecorder(fleet, POLICY);
    const t0 = fleet.write(FILE, appDoc(96, "5s"));
    v2 = await fleet.waitNewRevision(POLICY, v1);
    const before = await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === v2 && s.stages[1]!.state === "soaking",
      30_000,
    );
    expect(before.stages[2]!.state).toBe("pending");

    const killedAt = Date.now();
    await fleet.restartController("SIGKILL");
    for (const n of fleet.hosts) await waitForHost(fleet.controller.address, n, true, 20_000);

    const after = (await fleet.status(POLICY))!;
    expect(after).toMatchObject({ id: before.id, revision: v2, previousRevision: v1 });
    expect(["running", "succeeded"]).toContain(after.state);
    // stages already done keep their record; the canary stage is the same one (same start)
    expect(after.stages[0]).toMatchObject({
      state: "succeeded",
      startedAt: before.stages[0]!.startedAt,
      finishedAt: before.stages[0]!.finishedAt,
    });
    expect(after.stages[1]!.startedAt).toBe(before.stages[1]!.startedAt);

    const s = await fleet.waitFinished(POLICY, v2, 60_000);
    await rec.stop();
    expect(s).toMatchObject({ id: before.id, state: "succeeded", failedHosts: [] });
    expect(s.stages.map((x) => x.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect(s.stages[1]!.startedAt).toBe(before.stages[1]!.startedAt);
    expect(stageOrderViolation(s)).toBeNull();
    // the batches started only after the restart, each host's first new bundle after its stage started
    expect(Date.parse(s.stages[2]!.startedAt!)).toBeGreaterThan(killedAt);
    for (const n of fleet.hosts) {
      const st = s.stages.find((x) => x.hosts.includes(n))!;
      const first = fleet.bundlesReceived(n, t0)[0];
      expect(first, `${n} received v2`).toBeDefined();
      expect(first!.time, `${n} got v2 before stage ${st.index} started`).toBeGreaterThanOrEqual(
        Date.parse(st.startedAt!),
      );
    }
    // no sample ever showed a batch host past pending before the canary stage succeeded
    for (const { status } of rec.of(v2)) {
      if (status.stages[1]!.state !== "succeeded")
        for (const x of status.hosts.filter((y) => y.name !== h(1))) expect(x.phase).toBe("pending");
    }
    await everyHostAt(fleet.hosts, 96);
  });

  it("a host enrolling mid-rollout gets the previous revision at once, outside the stages, and the new one when the rollout succeeds", async () => {
    const late = h(5);
    fleet.write(FILE, appDoc(112, "4s"));
    const v3 = await fleet.waitNewRevision(POLICY, v2);
    await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === v3 && s.stages[1]!.state === "soaking",
      30_000,
    );
    // Held while the late host enrols (a slow start under load must not let the batches pass it by).
    await fleet.control("pause", POLICY);

    fleet.startAgent(late);
    await waitForHost(fleet.controller.address, late, true, 20_000);
    // It converges to v2 (the previous, good revision) while the rollout still runs.
    await everyHostAt([late], 96, 20_000);
    await waitFor(
      "the late host's guest running",
      async () => ((await domainState(`${late}-web`)) === "running" ? true : undefined),
      15_000,
      200,
    );
    const during: RolloutStatusJson = (await fleet.status(POLICY))!;
    expect(during.revision).toBe(v3);
    expect(during.state).toBe("paused");
    expect(during.lateHosts).toContain(late);
    expect(during.stages.flatMap((x) => x.hosts)).not.toContain(late);
    // what the controller says it should hold: the previous revision
    const held = await fleet.hostPolicy(late, POLICY);
    expect(held?.revision).toBe(v2);
    // the batch hosts still hold v2 too
    expect(await cfgOf(h(4))).toBe(96);

    await fleet.control("resume", POLICY);
    const s = await fleet.waitFinished(POLICY, v3, 60_000);
    expect(s.state).toBe("succeeded");
    expect(s.lateHosts).toContain(late);
    await everyHostAt([...fleet.hosts], 112, 20_000);
    await waitFor(
      "compliance: the late host observed v3",
      async () => {
        const p = await fleet.hostPolicy(late, POLICY);
        return p?.revision === v3 && p.observedRevision === v3 ? p : undefined;
      },
      15_000,
      300,
    );
  });
});
