import { describe, expect, it } from "vitest";
import {
  revisionFor,
  RolloutStateError,
  step,
  stepAll,
  type RolloutEffect,
} from "../../../controller/rollout/index.js";
import { NEW, settings, Sim } from "./sim.js";

/** mulberry32: a small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTS = ["h1", "h2", "h3", "h4", "h5", "h6"];

const reached = new Set<string>();

function randomRun(seed: number): Sim {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const n = 1 + Math.floor(rnd() * HOSTS.length);
  const targets = HOSTS.slice(0, n);
  const sim = new Sim({
    targets,
    online: targets.filter(() => rnd() < 0.8),
    settings: settings({
      canary: Math.floor(rnd() * 3),
      batchSize: rnd() < 0.5 ? { count: 1 + Math.floor(rnd() * 3) } : { percent: pick([10, 25, 50, 100]) },
      soakMs: pick([0, 1000]),
      maxFailures: Math.floor(rnd() * 2),
      onFailure: pick(["rollback", "pause"] as const),
    }),
    options: { offlineTimeoutMs: 5000, offlineHosts: pick(["failed", "skipped"] as const) },
  });
  let late = 0;
  for (let i = 0; i < 100; i++) {
    const before = sim.r;
    const host = pick([...targets, ...(late > 0 ? ["late1"] : [])]);
    let fx: RolloutEffect[] = [];
    try {
      const k = rnd();
      if (k < 0.05) fx = sim.ev({ type: "start" });
      else if (k < 0.1) fx = sim.ev(rnd() < 0.5 ? { type: "planSkipped" } : { type: "planRecorded", result: { seed } });
      else if (k < 0.35) fx = sim.ok(host);
      else if (k < 0.42) fx = sim.fail(host);
      else if (k < 0.46) fx = sim.ev({ type: rnd() < 0.5 ? "hostDrift" : "hostFailure", host });
      else if (k < 0.54) fx = sim.goOnline(host);
      else if (k < 0.6) fx = sim.goOffline(host);
      else if (k < 0.75) fx = sim.advance(pick([10, 500, 1000, 5000]));
      else if (k < 0.79) fx = sim.ev({ type: "pause" });
      else if (k < 0.85) fx = sim.ev({ type: "resume" });
      else if (k < 0.86) fx = sim.ev({ type: "abort" });
      else if (k < 0.88) fx = sim.ev({ type: "rollback" });
      else if (k < 0.89) fx = sim.ev({ type: "supersede", byRevision: "rev-next" });
      else if (k < 0.92 && late === 0) {
        late = 1;
        fx = sim.ev({ type: "hostEnrolled", host: "late1", online: true });
      } else fx = sim.advance(1);
    } catch (err) {
      if (!(err instanceof RolloutStateError)) throw err;
      expect(sim.r).toBe(before);
      continue;
    }
    const r = sim.r;
    reached.add(r.state);
    for (const f of fx) {
      if (f.type !== "sendRevision" || f.revision !== NEW) continue;
      const h = r.hosts[f.host]!;
      if (h.stage >= 0 && h.phase !== "skipped")
        expect(r.stages[h.stage]!.startedAt, `${f.host} sent before its stage started (seed ${seed})`).not.toBeNull();
      else expect(r.state, `${f.host} outside the stages got the new revision (seed ${seed})`).toBe("succeeded");
    }
    for (const s of r.stages) {
      if (
        s.startedAt !== null &&
        r.stages.slice(0, s.index).some((x) => x.state === "pending" || x.state === "waiting" || x.state === "soaking")
      ) {
        throw new Error(`stage ${s.index} started before an earlier stage ended (seed ${seed})`);
      }
    }
    for (const h of Object.values(r.hosts)) {
      if (h.stage >= 0 && r.stages[h.stage]!.startedAt === null && h.receivedNew)
        throw new Error(`${h.name} received before its stage (seed ${seed})`);
      if (!h.receivedNew && (sim.ever.get(h.name) ?? []).includes(NEW))
        throw new Error(`${h.name} holds the new revision unrecorded (seed ${seed})`);
    }
    if (r.state === "rolledback") {
      for (const name of Object.keys(r.hosts)) {
        expect(revisionFor(r, name)).not.toBe(NEW);
        expect(sim.held.get(name), `${name} still holds the new revision after rolledback (seed ${seed})`).not.toBe(
          NEW,
        );
      }
    }
    // restart: a JSON round trip of the state changes nothing about the next step
    if (i % 10 === 0) {
      const probe = { type: "tick", now: sim.t + 1000 } as const;
      expect(JSON.stringify(step(JSON.parse(JSON.stringify(r)), probe))).toBe(JSON.stringify(step(r, probe)));
    }
  }
  return sim;
}

describe("rollout invariants over random event sequences", () => {
  for (let block = 0; block < 4; block++) {
    it(`hold for seeds ${block * 50 + 1}..${block * 50 + 50}`, () => {
      for (let seed = block * 50 + 1; seed <= block * 50 + 50; seed++) randomRun(seed);
    });
  }

  it("stepping a whole sequence as one batch (stepAll, as the runner does) equals stepping it event by event", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const sim = randomRun(seed);
      const batch = stepAll(sim.initial, sim.applied);
      expect(batch.rollout, `seed ${seed}`).toEqual(sim.r);
      expect(batch.effects, `seed ${seed}`).toEqual(sim.effects);
    }
  });

  it("explore every rollout state", () => {
    expect([...reached].sort()).toEqual([
      "aborted",
      "failed",
      "paused",
      "pending",
      "rolledback",
      "running",
      "succeeded",
    ]);
  });
});
