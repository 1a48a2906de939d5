import { describe, expect, it } from "vitest";
import { RolloutStateError } from "../../../controller/rollout/index.js";
import { NEW, OLD, settings, Sim } from "./sim.js";

const H4 = ["kvm01", "kvm02", "kvm03", "kvm04"];

function started(sim: Sim): Sim {
  sim.ev({ type: "start" });
  sim.ev({ type: "planSkipped" });
  return sim;
}

describe("a failing canary", () => {
  it("with onFailure rollback: stops, only the canary ever received the bad revision and gets the old one back", () => {
    const sim = started(new Sim({ targets: H4 }));
    const fx = sim.fail("kvm01");
    expect(fx).toContainEqual(expect.objectContaining({ type: "rolloutFailed" }));
    expect(fx).toContainEqual({ type: "rollbackHost", host: "kvm01", previousRevision: OLD });
    expect(sim.r.state).toBe("failed");
    expect(sim.stageStates()).toEqual(["skipped", "failed", "pending", "pending"]);
    expect(sim.held.get("kvm01")).toBe(OLD);
    sim.advance(3_600_000);
    expect(sim.sentTo()).toEqual(["kvm01"]);
    sim.ok("kvm01");
    expect(sim.r.state).toBe("rolledback");
    expect(sim.r.hosts.kvm01!.phase).toBe("rolledback");
    for (const h of H4) expect(sim.ever.get(h)!.includes(NEW)).toBe(h === "kvm01");
    expect(sim.r.rollback).toMatchObject({ by: "failure" });
  });

  it("a failed rollback leaves the rollout failed; a later success or an operator retry ends it rolledback", () => {
    const sim = started(new Sim({ targets: H4 }));
    sim.fail("kvm01");
    sim.fail("kvm01");
    expect(sim.r.state).toBe("failed");
    expect(sim.r.rollback!.finishedAt).not.toBeNull();
    expect(sim.r.reason).toContain("rollback failed on kvm01");
    const retry = sim.ev({ type: "rollback" });
    expect(retry).toContainEqual({ type: "rollbackHost", host: "kvm01", previousRevision: OLD });
    sim.ok("kvm01");
    expect(sim.r.state).toBe("rolledback");
  });

  it("with onFailure pause: stops sending, resume accepts the failure and continues", () => {
    const sim = started(new Sim({ targets: H4, settings: settings({ onFailure: "pause" }) }));
    sim.fail("kvm01");
    expect(sim.r.state).toBe("paused");
    expect(sim.r.reason).toContain("kvm01");
    sim.advance(10_000);
    expect(sim.sentTo()).toEqual(["kvm01"]);
    sim.ev({ type: "resume" });
    expect(sim.r.acceptedFailures).toBe(1);
    sim.advance(1000);
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03"]);
    sim.ok("kvm02");
    sim.fail("kvm03");
    expect(sim.r.state).toBe("paused");
  });

  it("maxFailures tolerates that many failed hosts over the rollout, then stops", () => {
    const sim = started(new Sim({ targets: H4, settings: settings({ maxFailures: 1, soakMs: 0 }) }));
    sim.fail("kvm01");
    expect(sim.r.state).toBe("running");
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03"]);
    sim.ok("kvm02");
    sim.fail("kvm03");
    expect(sim.r.state).toBe("failed");
    const rolledBack = sim.effects.filter((f) => f.type === "rollbackHost").map((f) => (f as { host: string }).host);
    expect(rolledBack).toEqual(["kvm01", "kvm02", "kvm03"]);
    expect(sim.ever.get("kvm04")).toEqual([OLD]);
  });

  it("drift or failure during the soak counts against the stage; after the stage it does not", () => {
    const sim = started(new Sim({ targets: H4, settings: settings({ onFailure: "pause" }) }));
    sim.ok("kvm01");
    expect(sim.stageStates()[1]).toBe("soaking");
    sim.ev({ type: "hostDrift", host: "kvm01", reason: "domain web-01 stopped" });
    expect(sim.r.state).toBe("paused");
    expect(sim.r.hosts.kvm01!.reason).toBe("domain web-01 stopped");

    const ok = started(new Sim({ targets: H4 }));
    ok.ok("kvm01");
    ok.advance(1000);
    ok.ev({ type: "hostDrift", host: "kvm01" });
    ok.ev({ type: "hostFailure", host: "kvm01" });
    expect(ok.r.state).toBe("running");
    expect(ok.r.hosts.kvm01!.phase).toBe("converged");
  });
});

describe("operator commands", () => {
  it("pause holds the next stage back; resume continues where it was", () => {
    const sim = started(new Sim({ targets: H4 }));
    sim.ok("kvm01");
    sim.ev({ type: "pause" });
    expect(sim.r.state).toBe("paused");
    sim.advance(5000);
    expect(sim.sentTo()).toEqual(["kvm01"]);
    expect(() => sim.ev({ type: "start" })).toThrow(RolloutStateError);
    sim.ev({ type: "resume" });
    expect(sim.r.state).toBe("running");
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03"]);
    expect(() => sim.ev({ type: "resume" })).toThrow(RolloutStateError);
  });

  it("abort stops: nothing more is sent, hosts keep what they hold", () => {
    const sim = started(new Sim({ targets: H4 }));
    sim.ok("kvm01");
    sim.ev({ type: "abort", reason: "operator wants out" });
    expect(sim.r.state).toBe("aborted");
    expect(sim.r.reason).toBe("operator wants out");
    sim.advance(60_000);
    sim.ok("kvm01");
    expect(sim.sentTo()).toEqual(["kvm01"]);
    expect(sim.held.get("kvm01")).toBe(NEW);
    expect(() => sim.ev({ type: "abort" })).toThrow(RolloutStateError);
    expect(() => sim.ev({ type: "rollback" })).toThrow(RolloutStateError);
  });

  it("a removed host leaves the rollout: the stage that waited for it goes on, a rollback no longer waits", () => {
    const sim = started(new Sim({ targets: H4 }));
    sim.ok("kvm01");
    sim.advance(1_000);
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03"]);
    sim.ok("kvm02");
    sim.ev({ type: "hostRemoved", host: "kvm03" });
    expect(sim.r.hosts.kvm03).toBeUndefined();
    expect(sim.r.stages[2]!.hosts).toEqual(["kvm02"]);
    expect(sim.stageStates()[2]).toBe("soaking");
    sim.advance(1_000);
    expect(sim.sentTo()).toContain("kvm04");
    sim.ev({ type: "rollback", reason: "undo" });
    sim.ev({ type: "hostRemoved", host: "kvm04" });
    expect(Object.keys(sim.r.hosts).sort()).toEqual(["kvm01", "kvm02"]);
  });

  it("abort during a soak ends the stage there: aborted, finished, no soak deadline left", () => {
    const sim = started(new Sim({ targets: H4 }));
    sim.ok("kvm01");
    expect(sim.stageStates()[1]).toBe("soaking");
    sim.advance(300);
    sim.ev({ type: "abort", reason: "enough" });
    const stage = sim.r.stages[1]!;
    expect(stage.state).toBe("aborted");
    expect(stage.finishedAt).toBe(sim.r.finishedAt);
    expect(stage.soakUntil).toBeNull();
    expect(sim.stageStates().slice(2)).toEqual(["pending", "pending"]);
    sim.advance(60_000);
    expect(sim.r.stages[1]!.state).toBe("aborted");
  });

  it("operator rollback of a succeeded rollout returns every host, late ones included", () => {
    const sim = started(new Sim({ targets: ["a", "b"], settings: settings({ soakMs: 0, batchSize: { count: 1 } }) }));
    sim.ev({ type: "hostEnrolled", host: "c", online: true });
    sim.ok("a");
    sim.ok("b");
    expect(sim.r.state).toBe("succeeded");
    expect(sim.held.get("c")).toBe(NEW);
    sim.ev({ type: "rollback" });
    expect(sim.r.state).toBe("failed");
    expect(sim.r.rollback).toMatchObject({ by: "operator" });
    for (const h of ["a", "b", "c"]) sim.ok(h);
    expect(sim.r.state).toBe("rolledback");
    for (const h of ["a", "b", "c"]) expect(sim.held.get(h)).toBe(OLD);
  });

  it("rollback before start ends rolledback at once", () => {
    const sim = new Sim({ targets: H4 });
    sim.ev({ type: "rollback" });
    expect(sim.r.state).toBe("rolledback");
    expect(sim.sentTo()).toEqual([]);
  });

  it("supersede aborts explicitly; the next rollout starts from what hosts hold", async () => {
    const { createRollout, heldRevisions, revisionFor } = await import("../../../controller/rollout/index.js");
    const sim = started(new Sim({ targets: H4 }));
    sim.ok("kvm01");
    sim.ev({ type: "supersede", byRevision: "rev-3" });
    expect(sim.r.state).toBe("aborted");
    expect(sim.r.reason).toBe("superseded by revision rev-3");
    sim.ev({ type: "supersede", byRevision: "rev-4" }); // no-op once ended
    expect(sim.r.reason).toBe("superseded by revision rev-3");
    const next = createRollout({
      id: "web@3",
      policy: "web",
      fromRevision: OLD,
      toRevision: "rev-3",
      settings: settings(),
      targets: H4,
      held: heldRevisions(sim.r),
      now: sim.t,
    });
    expect(revisionFor(next, "kvm01")).toBe(NEW);
    expect(revisionFor(next, "kvm02")).toBe(OLD);
  });
});

describe("rollback edge cases", () => {
  it("a host that stays offline during the rollback fails it after offlineTimeoutMs, so the rollback ends and can be retried", () => {
    const sim = started(
      new Sim({
        targets: H4,
        settings: settings({ soakMs: 0 }),
        options: { offlineTimeoutMs: 5_000, offlineHosts: "failed" },
      }),
    );
    sim.ok("kvm01");
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm03"]);
    sim.goOffline("kvm02");
    sim.fail("kvm03");
    expect(sim.r.rollback).not.toBeNull();
    sim.ok("kvm01");
    sim.ok("kvm03");
    expect(sim.r.hosts.kvm02!.phase).toBe("rollback-sent");
    sim.advance(4_000);
    expect(sim.r.rollback!.finishedAt).toBeNull();
    sim.advance(1_500);
    expect(sim.r.hosts.kvm02!.phase).toBe("rollback-failed");
    expect(sim.r.state).toBe("failed");
    expect(sim.r.reason).toContain("rollback failed on kvm02");
    sim.goOnline("kvm02");
    sim.ev({ type: "rollback" });
    sim.deliver("kvm02");
    sim.ok("kvm02");
    expect(sim.r.state).toBe("rolledback");
  });

  it("hosts still holding a superseded rollout's revision return to the good revision on rollback too", () => {
    const sim = started(new Sim({ targets: H4, held: { kvm03: "rev-superseded", kvm04: "rev-superseded" } }));
    expect(sim.held.get("kvm03")).toBe("rev-superseded");
    const fx = sim.fail("kvm01");
    const back = fx.filter((f) => f.type === "rollbackHost").map((f) => (f as { host: string }).host);
    expect(back).toEqual(["kvm01", "kvm03", "kvm04"]);
    for (const h of ["kvm01", "kvm03", "kvm04"]) sim.ok(h);
    expect(sim.r.state).toBe("rolledback");
    for (const h of H4) expect(sim.held.get(h)).toBe(OLD);
  });
});
