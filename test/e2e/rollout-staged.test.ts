import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostsJson } from "../harness/fleet.js";
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

// Staged rollouts with a real controller and four real agents on this machine's libvirtd.
// The agents share one libvirt, so every resource name is templated with ${host.name}:
// host hN holds `<prefix>hN-web` (a running tiny guest) and `<prefix>hN-cfg` (a shut-off
// guest whose memory in MiB marks the revision it holds: v1 80, v2 96, bad 112, v3 128).
const fleet = new RolloutFleet();
const POLICY = "app";
const FILE = "app.yaml";
const SETTINGS = rolloutBlock({ canary: 1, batchSize: 2, soak: "1s" });

function appDoc(
  cfgMiB: number,
  extra: { rollout?: Record<string, unknown>; domains?: Record<string, unknown>[] } = {},
): Record<string, unknown> {
  return policyDoc(POLICY, {
    rollout: extra.rollout ?? SETTINGS,
    resources: { domains: [runningDomain("web"), markerDomain("cfg", cfgMiB), ...(extra.domains ?? [])] },
  });
}

const h = (i: number) => fleet.host(i);
const cfgOf = (host: string) => definedMemoryMiB(`${host}-cfg`);

/** Every host's marker memory, by host. */
async function markers(): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  for (const host of fleet.hosts) out[host] = await cfgOf(host);
  return out;
}

/** The stage index that carries `host` in `s`. */
function stageOf(s: RolloutStatusJson, host: string): number {
  const st = s.stages.find((x) => x.hosts.includes(host));
  if (!st) throw new Error(`${host} is in no stage of ${JSON.stringify(s.stages)}`);
  return st.index;
}

/**
 * For a finished rollout: every host got its first bundle after `since` (controller "bundle
 * sent") only once its own stage had started, and not before the previous stage finished.
 */
function expectDeliveriesFollowStages(s: RolloutStatusJson, since: number): void {
  for (const host of fleet.hosts) {
    const first = fleet.firstNewBundleSent(host, since);
    expect(first, `a new bundle sent to ${host} since the write`).toBeDefined();
    const stage = s.stages[stageOf(s, host)]!;
    const prev = s.stages[stage.index - 1]!;
    expect(
      first!.time,
      `${host} (stage ${stage.index}) got the revision before its stage started`,
    ).toBeGreaterThanOrEqual(Date.parse(stage.startedAt!));
    expect(
      first!.time,
      `${host} (stage ${stage.index}) got the revision before stage ${prev.index} finished`,
    ).toBeGreaterThanOrEqual(Date.parse(prev.finishedAt!));
  }
}

/** In every recorded sample: a stage left pending only once the one before it succeeded, and no host of a pending stage left pending. */
function expectTimelineInOrder(samples: { status: RolloutStatusJson }[]): void {
  expect(samples.length).toBeGreaterThan(3);
  for (const { status } of samples) {
    for (const st of status.stages.slice(1)) {
      const prev = status.stages[st.index - 1]!;
      if (st.state !== "pending")
        expect(prev.state, `stage ${st.index} is ${st.state} while stage ${prev.index} is ${prev.state}`).toBe(
          "succeeded",
        );
      if (st.state === "pending") {
        for (const name of st.hosts)
          expect(status.hosts.find((x) => x.name === name)?.phase, `${name} of pending stage ${st.index}`).toBe(
            "pending",
          );
      }
    }
  }
}

function expectStages(s: RolloutStatusJson, hosts: string[][]): void {
  expect(s.stages.map((x) => x.kind)).toEqual(["plan", "canary", ...hosts.slice(1).map(() => "batch")]);
  expect(s.stages.map((x) => x.hosts)).toEqual([[], ...hosts]);
}

beforeAll(async () => {
  // Labels per host in the inventory: facts are the same for every agent (one machine).
  const inventory = `hosts:\n  ${h(1)}: {labels: {rack: r1}}\n  ${h(2)}: {labels: {rack: r1}}\n  ${h(3)}: {labels: {rack: r2}}\n  ${h(4)}: {labels: {rack: r2}}\n`;
  await fleet.start({ hosts: 4, files: { "inventory.yaml": inventory } });
}, 90_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe("staged rollouts over four agents", () => {
  it("targets by facts and labels: a policy reaches only the hosts it selects", async () => {
    const facts = (await hostsJson(fleet.controller.address)).find((x) => x.name === h(1))!.facts;
    const virt = facts.cpu.virtualization as boolean;
    const threads = facts.cpu.threads as number;
    const quick = rolloutBlock({ canary: 0, batchSize: "100%", soak: "0s" });
    const docs = [
      // a fact every agent reports (the same machine): all four hosts
      policyDoc("tgt-facts", {
        targets: { facts: { "cpu.virtualization": virt } },
        rollout: quick,
        resources: { domains: [markerDomain("tf", 64)] },
      }),
      // facts are AND-ed: one value no host has → none
      policyDoc("tgt-nofacts", {
        targets: { facts: { "cpu.virtualization": virt, "cpu.threads": threads + 1000 } },
        rollout: quick,
        resources: { domains: [markerDomain("tn", 64)] },
      }),
      // inventory labels: h1 and h2
      policyDoc("tgt-labels", {
        targets: { labels: { rack: "r1" } },
        rollout: quick,
        resources: { domains: [markerDomain("tl", 64)] },
      }),
      // entries are OR-ed: rack r2 OR a fact value no host has → h3 and h4
      policyDoc("tgt-or", {
        targets: { labels: { rack: "r2" }, facts: { "cpu.virtualization": !virt } },
        rollout: quick,
        resources: { domains: [markerDomain("to", 64)] },
      }),
    ];
    fleet.write("targets.yaml", docs.map((d) => `---\n${JSON.stringify(d)}\n`).join(""));
    for (const p of ["tgt-facts", "tgt-labels", "tgt-or"]) {
      const rev = await fleet.waitNewRevision(p, undefined);
      expect((await fleet.waitFinished(p, rev)).state).toBe("succeeded");
    }
    const want: Record<string, string[]> = { tf: [1, 2, 3, 4].map(h), tn: [], tl: [h(1), h(2)], to: [h(3), h(4)] };
    // The last rollout finished: give the agents a moment, then read libvirt.
    await waitFor(
      "targeted guests defined",
      async () => {
        for (const [suffix, hosts] of Object.entries(want))
          for (const host of hosts) if ((await definedMemoryMiB(`${host}-${suffix}`)) !== 64) return undefined;
        return true;
      },
      20_000,
      250,
    );
    for (const [suffix, hosts] of Object.entries(want)) {
      for (const host of fleet.hosts)
        expect(await definedMemoryMiB(`${host}-${suffix}`), `${host}-${suffix}`).toBe(hosts.includes(host) ? 64 : null);
    }
    const compliance = await fleet.compliance();
    const holders = (p: string) =>
      compliance.hosts
        .filter((x) => x.policies.some((q) => q.name === p))
        .map((x) => x.name)
        .sort();
    expect(holders("tgt-facts")).toEqual(want.tf);
    expect(holders("tgt-nofacts")).toEqual([]);
    expect(holders("tgt-labels")).toEqual(want.tl);
    expect(holders("tgt-or")).toEqual(want.to);
    const plain = await fleet.status("tgt-labels");
    expect(plain!.hosts.map((x) => x.name).sort()).toEqual(want.tl);
  });

  let v1 = "";
  it("the first revision of a new policy rolls out in stages: hosts outside a started stage hold nothing of it", async () => {
    const rec = new StatusRecorder(fleet, POLICY);
    const t0 = fleet.write(FILE, appDoc(80));
    v1 = await fleet.waitNewRevision(POLICY, undefined);
    const s = await fleet.waitFinished(POLICY, v1);
    await rec.stop();
    expect(s.state).toBe("succeeded");
    expect(s.previousRevision).toBeUndefined();
    expectStages(s, [[h(1)], [h(2), h(3)], [h(4)]]);
    expect(stageOrderViolation(s)).toBeNull();
    expectTimelineInOrder(rec.of(v1));
    // Each agent's first bundle with the policy arrived only after its stage started.
    for (const host of fleet.hosts) {
      const first = fleet.bundlesReceived(host, t0).find((l) => (l.policies as string[]).includes(POLICY));
      expect(first, `${host} received the policy`).toBeDefined();
      expect(first!.time).toBeGreaterThanOrEqual(Date.parse(s.stages[stageOf(s, host)]!.startedAt!));
    }
    await waitFor(
      "every host converged to v1",
      async () => (Object.values(await markers()).every((m) => m === 80) ? true : undefined),
      20_000,
      250,
    );
    for (const host of fleet.hosts) expect(await domainState(`${host}-web`)).toBe("running");
  });

  let v2 = "";
  it("a good revision: plan, canary, then two batches, each waiting for convergence and soaking before the next", async () => {
    const rec = new StatusRecorder(fleet, POLICY);
    const t0 = fleet.write(FILE, appDoc(96));
    v2 = await fleet.waitNewRevision(POLICY, v1);
    const s = await fleet.waitFinished(POLICY, v2);
    await rec.stop();
    expect(s).toMatchObject({
      policy: POLICY,
      revision: v2,
      previousRevision: v1,
      state: "succeeded",
      rollingBack: false,
      failedHosts: [],
    });
    expectStages(s, [[h(1)], [h(2), h(3)], [h(4)]]);
    expect(s.stages.every((x) => x.state === "succeeded")).toBe(true);
    expect(stageOrderViolation(s)).toBeNull();
    // canary and batches soak 1 s after converging
    for (const st of s.stages.slice(1))
      expect(
        Date.parse(st.finishedAt!) - Date.parse(st.startedAt!),
        `stage ${st.index} duration`,
      ).toBeGreaterThanOrEqual(1_000);
    expect(s.hosts.map((x) => x.phase)).toEqual(["converged", "converged", "converged", "converged"]);
    expectTimelineInOrder(rec.of(v2));
    expectDeliveriesFollowStages(s, t0);
    // While the canary soaked, the batch hosts still held v1 (seen in the recorded timeline).
    const canarySoaking = rec.of(v2).find((x) => x.status.stages[1]!.state === "soaking");
    expect(canarySoaking, "a sample during the canary's soak").toBeDefined();
    expect(canarySoaking!.status.hosts.filter((x) => x.name !== h(1)).every((x) => x.phase === "pending")).toBe(true);

    await waitFor(
      "every host converged to v2",
      async () => (Object.values(await markers()).every((m) => m === 96) ? true : undefined),
      20_000,
      250,
    );
    await waitFor(
      "compliance: every host observed v2",
      async () => {
        const c = await fleet.compliance();
        return fleet.hosts.every((n) =>
          c.hosts
            .find((x) => x.name === n)
            ?.policies.some((p) => p.name === POLICY && p.revision === v2 && p.observedRevision === v2),
        )
          ? true
          : undefined;
      },
      15_000,
      300,
    );
    // The CLI prints the same document.
    expect(await fleet.control("status", POLICY)).toMatchObject({ id: s.id, revision: v2, state: "succeeded" });
  });

  let badRev = "";
  it("a bad revision fails on the canary: the rollout stops, the canary is rolled back, no other host ever received it", async () => {
    // The bad revision changes the marker and adds a guest asking for 4 TiB: it defines, but cannot start.
    const sentBefore = new Map(fleet.hosts.map((n) => [n, new Set(fleet.bundlesSent(n).map((l) => l.revision))]));
    const t0 = fleet.write(
      FILE,
      appDoc(112, {
        domains: [{ name: "${host.name}-big", vcpus: 1, memory: "4TiB", state: "running", autostart: false }],
      }),
    );
    const bad = await fleet.waitNewRevision(POLICY, v2);
    badRev = bad;

    // Watch the other hosts' libvirt while the rollout runs: their big guest never appears, their marker never moves.
    let watching = true;
    const seenOnOthers: string[] = [];
    const watcher = (async () => {
      while (watching) {
        for (const host of [h(2), h(3), h(4)]) {
          if ((await domainState(`${host}-big`)) !== null) seenOnOthers.push(`${host}-big defined`);
          const m = await cfgOf(host);
          if (m !== 96) seenOnOthers.push(`${host}-cfg memory ${m}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let s: RolloutStatusJson;
    try {
      s = await fleet.waitFinished(POLICY, bad, 90_000);
      // and a little longer: nothing arrives late
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      watching = false;
      await watcher;
    }
    expect(seenOnOthers).toEqual([]);

    expect(s).toMatchObject({
      revision: bad,
      previousRevision: v2,
      state: "rolledback",
      rollingBack: false,
      failedHosts: [h(1)],
    });
    expect(s.stages[1]).toMatchObject({ kind: "canary", hosts: [h(1)], state: "failed" });
    for (const st of s.stages.slice(2)) {
      expect(st.startedAt, `batch stage ${st.index} never started`).toBeUndefined();
      expect(["pending", "skipped"]).toContain(st.state);
    }
    const byName = new Map(s.hosts.map((x) => [x.name, x]));
    expect(byName.get(h(1))!.phase).toBe("rolledback");
    for (const n of [h(2), h(3), h(4)]) expect(["pending", "skipped"]).toContain(byName.get(n)!.phase);

    // The controller never sent the other hosts a bundle they had not held before; their agents logged no new bundle.
    for (const n of [h(2), h(3), h(4)]) {
      for (const l of fleet.bundlesSent(n, t0))
        expect(sentBefore.get(n)!.has(l.revision), `bundle ${String(l.revision)} sent to ${n}`).toBe(true);
      expect(fleet.bundlesReceived(n, t0), `new bundles at ${n}`).toEqual([]);
    }
    // The canary got the bad revision, then the previous one back.
    expect(fleet.bundlesSent(h(1), t0).length).toBeGreaterThanOrEqual(2);

    // Rollback restored v2 on the canary: marker back to 96, its running guest untouched.
    await waitFor(
      "the canary's marker back to v2",
      async () => ((await cfgOf(h(1))) === 96 ? true : undefined),
      20_000,
      250,
    );
    expect(await domainState(`${h(1)}-web`)).toBe("running");
    await waitFor(
      "compliance: every host on v2",
      async () => {
        const c = await fleet.compliance();
        return fleet.hosts.every((n) =>
          c.hosts
            .find((x) => x.name === n)
            ?.policies.some((p) => p.name === POLICY && p.revision === v2 && p.observedRevision === v2),
        )
          ? true
          : undefined;
      },
      20_000,
      300,
    );
    expect(await markers()).toEqual(Object.fromEntries(fleet.hosts.map((n) => [n, 96])));
  });

  it("pause holds the rollout after the canary (no batch starts, batch hosts keep the previous revision); resume finishes it", async () => {
    const t0 = fleet.write(FILE, appDoc(128, { rollout: { ...SETTINGS, soak: "2s" } }));
    const v3 = await fleet.waitNewRevision(POLICY, badRev || v2);
    await fleet.waitStatus(
      POLICY,
      "the canary stage under way",
      (s) => s.revision === v3 && ["waiting", "soaking"].includes(s.stages[1]!.state),
      30_000,
    );
    const paused = await fleet.control("pause", POLICY);
    expect(paused).toMatchObject({ revision: v3, state: "paused" });

    // Longer than the canary's convergence + soak: nothing moves on.
    await new Promise((r) => setTimeout(r, 5_000));
    const held = (await fleet.status(POLICY))!;
    expect(held.state).toBe("paused");
    for (const st of held.stages.slice(2)) {
      expect(st.state).toBe("pending");
      expect(st.startedAt).toBeUndefined();
    }
    for (const n of [h(2), h(3), h(4)]) {
      expect(held.hosts.find((x) => x.name === n)!.phase).toBe("pending");
      expect(fleet.bundlesReceived(n, t0), `new bundles at ${n} while paused`).toEqual([]);
      expect(await cfgOf(n)).toBe(96);
    }

    const tResume = Date.now();
    const resumed = await fleet.control("resume", POLICY);
    expect(["running", "succeeded"]).toContain(resumed.state);
    const s = await fleet.waitFinished(POLICY, v3);
    expect(s.state).toBe("succeeded");
    expect(s.stages.every((x) => x.state === "succeeded")).toBe(true);
    expect(stageOrderViolation(s)).toBeNull();
    // the batches started only after the resume
    expect(Date.parse(s.stages[2]!.startedAt!)).toBeGreaterThanOrEqual(tResume);
    await waitFor(
      "every host converged to v3",
      async () => (Object.values(await markers()).every((m) => m === 128) ? true : undefined),
      20_000,
      250,
    );
  });
});
