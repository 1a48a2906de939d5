import { describe, expect, it } from "vitest";
import { renderRolloutStatus } from "../../../cli/output/rollout-view.js";
import { rolloutStatusJson } from "../../../controller/rollout/index.js";
import { NEW, OLD, Sim } from "./sim.js";

const H4 = ["kvm01", "kvm02", "kvm03", "kvm04"];

describe("rollout status", () => {
  it("renders the spec/cli.md JSON shape", () => {
    const sim = new Sim({ targets: H4 });
    sim.t = Date.UTC(2026, 0, 1, 12, 0, 0);
    sim.ev({ type: "start" });
    sim.ev({ type: "planSkipped" });
    sim.t += 2000;
    sim.fail("kvm01");
    const j = rolloutStatusJson(sim.r);
    expect(j).toMatchObject({
      policy: "web",
      revision: NEW,
      previousRevision: OLD,
      state: "failed",
      rollingBack: true,
      failedHosts: ["kvm01"],
    });
    expect(j.stages).toEqual([
      {
        index: 0,
        kind: "plan",
        hosts: [],
        state: "skipped",
        startedAt: "2026-01-01T12:00:00.000Z",
        finishedAt: "2026-01-01T12:00:00.000Z",
      },
      {
        index: 1,
        kind: "canary",
        hosts: ["kvm01"],
        state: "failed",
        startedAt: "2026-01-01T12:00:00.000Z",
        finishedAt: "2026-01-01T12:00:02.000Z",
      },
      { index: 2, kind: "batch", hosts: ["kvm02", "kvm03"], state: "pending" },
      { index: 3, kind: "batch", hosts: ["kvm04"], state: "pending" },
    ]);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it("leaves previousRevision out for a new policy", () => {
    const sim = new Sim({ targets: ["a"], fromRevision: null });
    expect("previousRevision" in rolloutStatusJson(sim.r)).toBe(false);
  });

  it("renders a human progress view with stages, hosts, states and timings", () => {
    const sim = new Sim({ targets: H4, online: ["kvm01", "kvm02", "kvm04"] });
    sim.t = Date.UTC(2026, 0, 1, 12, 0, 0);
    sim.ev({ type: "start" });
    sim.ev({ type: "planRecorded", result: {} });
    sim.t += 1500;
    sim.ok("kvm01");
    sim.advance(1000);
    const text = renderRolloutStatus(rolloutStatusJson(sim.r), sim.t + 4000);
    expect(text).toContain("Rollout of web: rev-old → rev-new  RUNNING");
    expect(text).toMatch(/1\s+canary\s+succeeded\s+12:00:00\s+2\.5s\s+kvm01✓/);
    expect(text).toMatch(/2\s+batch\s+waiting\s+12:00:02\s+4\.0s\s+kvm02… kvm03⌁/);
    expect(text).toMatch(/3\s+batch\s+pending/);
    expect(text).toContain("Hosts: 1/4 done, 0 failed");
  });
});
