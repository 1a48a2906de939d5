import { describe, expect, it } from "vitest";
import { createRollout, planStages, RolloutStateError, step } from "../../../controller/rollout/index.js";
import { NEW, OLD, settings, Sim } from "./sim.js";

const H4 = ["kvm04", "kvm02", "kvm03", "kvm01"];

describe("planStages", () => {
  it("plan, canary, then batches over sorted names", () => {
    const stages = planStages(settings({ canary: 1, batchSize: { count: 2 } }), H4);
    expect(stages.map((s) => [s.kind, s.hosts])).toEqual([
      ["plan", []],
      ["canary", ["kvm01"]],
      ["batch", ["kvm02", "kvm03"]],
      ["batch", ["kvm04"]],
    ]);
  });

  it("percent batches are taken of all targets and round up, at least 1", () => {
    const sizes = (n: number, percent: number, canary = 0) =>
      planStages(
        settings({ canary, batchSize: { percent } }),
        Array.from({ length: n }, (_, i) => `h${String(i).padStart(2, "0")}`),
      )
        .slice(1)
        .map((s) => s.hosts.length);
    expect(sizes(4, 25)).toEqual([1, 1, 1, 1]);
    expect(sizes(10, 25)).toEqual([3, 3, 3, 1]);
    expect(sizes(10, 25, 1)).toEqual([1, 3, 3, 3]);
    expect(sizes(3, 1)).toEqual([1, 1, 1]);
    expect(sizes(0, 25)).toEqual([]);
  });

  it("canary 0 leaves the canary stage out", () => {
    expect(planStages(settings({ canary: 0, batchSize: { count: 3 } }), H4).map((s) => s.kind)).toEqual([
      "plan",
      "batch",
      "batch",
    ]);
  });
});

describe("a good revision over 4 hosts, canary 1 + batches of 2", () => {
  it("runs the stages in order, each gated on the fresh generation converging and on the soak", () => {
    const sim = new Sim({ targets: H4 });
    const started = sim.ev({ type: "start" });
    expect(started).toContainEqual({ type: "stageStarted", stage: 0, kind: "plan", hosts: [] });
    expect(sim.sentTo()).toEqual([]);
    sim.ev({ type: "planRecorded", result: { hostsChanging: 4 } });
    expect(sim.r.plan).toEqual({ hostsChanging: 4 });
    expect(sim.sentTo()).toEqual(["kvm01"]);
    expect(sim.stageStates()).toEqual(["succeeded", "waiting", "pending", "pending"]);

    // a stale status (the generation before delivery) does not count
    sim.ev({ type: "hostObserved", host: "kvm01", generation: 0, converged: "ok" });
    expect(sim.r.hosts.kvm01!.phase).toBe("sent");
    sim.ok("kvm01");
    expect(sim.stageStates()[1]).toBe("soaking");
    sim.advance(999);
    expect(sim.sentTo()).toEqual(["kvm01"]);
    const fx = sim.advance(1);
    expect(fx.filter((f) => f.type === "stageSucceeded" || f.type === "stageStarted").map((f) => f.type)).toEqual([
      "stageSucceeded",
      "stageStarted",
    ]);
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03"]);

    sim.ok("kvm02");
    expect(sim.stageStates()[2]).toBe("waiting");
    sim.ok("kvm03");
    sim.advance(1000);
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03", "kvm04"]);
    sim.ok("kvm04");
    expect(sim.r.state).toBe("running");
    sim.advance(1000);
    expect(sim.r.state).toBe("succeeded");
    expect(sim.stageStates()).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    for (const h of H4) expect(sim.held.get(h)).toBe(NEW);
    expect(sim.r.stages.map((s) => s.startedAt! <= s.finishedAt!)).toEqual([true, true, true, true]);
  });

  it("soak 0 advances as soon as the stage converged; plan skipped is a skipped stage", () => {
    const sim = new Sim({ targets: H4, settings: settings({ soakMs: 0 }) });
    sim.ev({ type: "start" });
    sim.ev({ type: "planSkipped" });
    for (const h of ["kvm01", "kvm02", "kvm03", "kvm04"]) sim.ok(h);
    expect(sim.r.state).toBe("succeeded");
    expect(sim.stageStates()).toEqual(["skipped", "succeeded", "succeeded", "succeeded"]);
  });

  it("start only from pending", () => {
    const r = createRollout({
      id: "x",
      policy: "web",
      fromRevision: OLD,
      toRevision: NEW,
      settings: settings(),
      targets: H4,
      now: 0,
    });
    const running = step(r, { type: "start", now: 1 }).rollout;
    expect(() => step(running, { type: "start", now: 2 })).toThrow(RolloutStateError);
    expect(r.state).toBe("pending"); // step is pure
  });
});

describe("canaries are chosen among connected hosts", () => {
  it("takes the first connected hosts by name; offline ones only when too few are connected", () => {
    const s = settings({ canary: 1, batchSize: { count: 2 } });
    expect(planStages(s, H4, new Set(["kvm03", "kvm04"])).map((x) => x.hosts)).toEqual([
      [],
      ["kvm03"],
      ["kvm01", "kvm02"],
      ["kvm04"],
    ]);
    expect(planStages(settings({ canary: 2, batchSize: { count: 2 } }), H4, new Set(["kvm04"]))[1]!.hosts).toEqual([
      "kvm01",
      "kvm04",
    ]);
    expect(planStages(s, H4, new Set())[1]!.hosts).toEqual(["kvm01"]);
    const r = createRollout({
      id: "r",
      policy: "web",
      fromRevision: OLD,
      toRevision: NEW,
      settings: s,
      targets: H4,
      online: ["kvm02"],
      now: 0,
    });
    expect(r.stages[1]!.hosts).toEqual(["kvm02"]);
    expect(r.hosts.kvm02!.stage).toBe(1);
  });
});
