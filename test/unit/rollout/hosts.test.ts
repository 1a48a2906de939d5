import { describe, expect, it } from "vitest";
import { createRollout, revisionFor } from "../../../controller/rollout/index.js";
import { NEW, OLD, settings, Sim } from "./sim.js";

const H4 = ["kvm01", "kvm02", "kvm03", "kvm04"];
const TEN_MIN = 600_000;

function started(sim: Sim): Sim {
  sim.ev({ type: "start" });
  sim.ev({ type: "planSkipped" });
  return sim;
}

describe("offline hosts when their stage starts", () => {
  it("are waited for and sent the revision when they come back within the timeout", () => {
    // no host connected: the canary is the first target by name (canaries are connected hosts when there are any)
    const sim = started(new Sim({ targets: H4, online: [] }));
    expect(sim.r.hosts.kvm01!.phase).toBe("offline");
    expect(sim.sentTo()).toEqual([]);
    sim.advance(TEN_MIN - 1);
    sim.goOnline("kvm01");
    expect(sim.sentTo()).toEqual(["kvm01"]);
    sim.ok("kvm01");
    expect(sim.stageStates()[1]).toBe("soaking");
  });

  it("count as failed after the timeout by default", () => {
    // no host connected: the canary is the first target by name (canaries are connected hosts when there are any)
    const sim = started(new Sim({ targets: H4, online: [] }));
    expect(sim.r.options).toEqual({ offlineTimeoutMs: TEN_MIN, offlineHosts: "failed" });
    sim.advance(TEN_MIN);
    expect(sim.r.hosts.kvm01!.phase).toBe("failed");
    expect(sim.r.state).toBe("rolledback"); // nobody received the new revision: nothing to wait for
    expect(sim.sentTo()).toEqual([]);
  });

  it("are skipped with offlineHosts: skipped; the rollout goes on and they get the new revision once it succeeded", () => {
    const sim = started(
      new Sim({
        targets: H4,
        online: ["kvm01", "kvm02", "kvm04"],
        options: { offlineTimeoutMs: 5000, offlineHosts: "skipped" },
        settings: settings({ soakMs: 0 }),
      }),
    );
    sim.ok("kvm01");
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02"]);
    sim.ok("kvm02");
    sim.advance(5000);
    expect(sim.r.hosts.kvm03!.phase).toBe("skipped");
    expect(revisionFor(sim.r, "kvm03")).toBe(OLD);
    sim.ok("kvm04");
    expect(sim.r.state).toBe("succeeded");
    expect(sim.sentTo()).toEqual(["kvm01", "kvm02", "kvm04", "kvm03"]);
    expect(revisionFor(sim.r, "kvm03")).toBe(NEW);
    sim.goOnline("kvm03");
    expect(sim.held.get("kvm03")).toBe(NEW);
  });

  it("a host that drops after being sent the revision is timed out the same way", () => {
    const sim = started(new Sim({ targets: H4, settings: settings({ onFailure: "pause" }) }));
    sim.goOffline("kvm01");
    sim.advance(TEN_MIN - 1);
    expect(sim.r.state).toBe("running");
    sim.advance(1);
    expect(sim.r.state).toBe("paused");
    expect(sim.r.hosts.kvm01!.phase).toBe("failed");
  });

  it("offline hosts in later stages are not waited for before their stage starts", () => {
    const sim = started(new Sim({ targets: H4, online: ["kvm01", "kvm02", "kvm03"] }));
    sim.advance(TEN_MIN * 2);
    expect(sim.r.hosts.kvm04!.phase).toBe("pending");
    expect(sim.r.state).toBe("running");
  });

  it("options are validated", () => {
    expect(() =>
      createRollout({
        id: "x",
        policy: "p",
        fromRevision: OLD,
        toRevision: NEW,
        settings: settings(),
        targets: H4,
        now: 0,
        options: { offlineTimeoutMs: -1 },
      }),
    ).toThrow(/offlineTimeoutMs/);
  });
});

describe("a host enrolling mid-rollout", () => {
  it("gets the current good revision outside the stages: the old one until the rollout succeeded", () => {
    const sim = started(new Sim({ targets: H4, settings: settings({ soakMs: 0 }) }));
    sim.ok("kvm01");
    const fx = sim.ev({ type: "hostEnrolled", host: "kvm05", online: true });
    expect(fx).toContainEqual({ type: "sendRevision", host: "kvm05", revision: OLD });
    expect(revisionFor(sim.r, "kvm05")).toBe(OLD);
    expect(sim.r.lateHosts).toEqual(["kvm05"]);
    expect(sim.r.stages.flatMap((s) => s.hosts)).not.toContain("kvm05");
    for (const h of ["kvm02", "kvm03", "kvm04"]) sim.ok(h);
    expect(sim.r.state).toBe("succeeded");
    expect(sim.held.get("kvm05")).toBe(NEW);
    expect(revisionFor(sim.r, "unknown-host")).toBe(NEW);
  });

  it("after a rollback it keeps the old revision and is never sent the new one", () => {
    const sim = started(new Sim({ targets: H4 }));
    sim.ev({ type: "hostEnrolled", host: "kvm05", online: true });
    sim.fail("kvm01");
    sim.ok("kvm01");
    expect(sim.r.state).toBe("rolledback");
    expect(sim.ever.get("kvm05")).toEqual([OLD]);
  });

  it("a new policy (no previous revision): a late host is sent nothing until the rollout succeeded", () => {
    const sim = started(new Sim({ targets: ["a"], fromRevision: null }));
    expect(sim.ev({ type: "hostEnrolled", host: "b", online: true }).filter((f) => f.type === "sendRevision")).toEqual(
      [],
    );
    expect(revisionFor(sim.r, "b")).toBeNull();
  });
});
