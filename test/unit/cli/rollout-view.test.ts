import { describe, expect, it } from "vitest";
import type { RolloutStatusJson } from "../../../controller/rollout/index.js";
import { renderRolloutStatus, rolloutEnded, rolloutStateLabel } from "../../../cli/output/rollout-view.js";

const T0 = Date.parse("2026-01-01T12:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const RUNNING: RolloutStatusJson = {
  policy: "web",
  id: "r1",
  revision: "bbbbbbbbbbbbbbbbbbbb",
  previousRevision: "aaaaaaaaaaaaaaaaaaaa",
  state: "running",
  rollingBack: false,
  createdAt: at(0),
  startedAt: at(0),
  stages: [
    { index: 0, kind: "plan", hosts: [], state: "succeeded", startedAt: at(0), finishedAt: at(1) },
    { index: 1, kind: "canary", hosts: ["kvm01"], state: "succeeded", startedAt: at(1), finishedAt: at(3.5) },
    { index: 2, kind: "batch", hosts: ["kvm02", "kvm03"], state: "soaking", startedAt: at(3.5), soakUntil: at(40) },
    { index: 3, kind: "batch", hosts: ["kvm04"], state: "pending" },
  ],
  failedHosts: [],
  hosts: [
    { name: "kvm01", stage: 1, phase: "converged", online: true },
    { name: "kvm02", stage: 2, phase: "converged", online: true },
    { name: "kvm03", stage: 2, phase: "sent", online: true },
    { name: "kvm04", stage: 3, phase: "pending", online: false },
  ],
  lateHosts: [],
};

describe("rollout status view", () => {
  it("shows the headline, stages with states, timings and marked hosts", () => {
    const text = renderRolloutStatus(RUNNING, T0 + 10_000);
    expect(text).toContain("Rollout of web: aaaaaaaaaaaa → bbbbbbbbbbbb  RUNNING\n");
    expect(text).toContain("Started 2026-01-01 12:00:00Z, 10.0s ago\n");
    expect(text).toMatch(/^STAGE\s+KIND\s+STATE\s+STARTED\s+TOOK\s+HOSTS$/m);
    expect(text).toMatch(/^0\s+plan\s+succeeded\s+12:00:00\s+1\.0s\s+\(fleet dry-run\)$/m);
    expect(text).toMatch(/^1\s+canary\s+succeeded\s+12:00:01\s+2\.5s\s+kvm01✓$/m);
    expect(text).toMatch(/^2\s+batch\s+soaking\s+12:00:03\s+6\.5s \(soak 30\.0s left\)\s+kvm02✓ kvm03…$/m);
    expect(text).toMatch(/^3\s+batch\s+pending\s+-\s+-\s+kvm04$/m);
    expect(text).toContain("Hosts: 2/4 done, 0 failed\n");
    expect(text).toContain("Marks: ✓ converged");
    expect(text).toContain("Next: virtfleet rollout pause|abort|rollback web [--reason TEXT]\n");
  });

  it("an aborted rollout's stages keep the time they ran (no clock growing after the end)", () => {
    const aborted: RolloutStatusJson = {
      ...RUNNING,
      state: "aborted",
      finishedAt: at(10),
      stages: RUNNING.stages.map((st) =>
        st.index === 2 ? { ...st, state: "aborted", finishedAt: at(10), soakUntil: undefined } : st,
      ),
    };
    for (const later of [20_000, 500_000])
      expect(renderRolloutStatus(aborted, T0 + later)).toMatch(
        /^2\s+batch\s+aborted\s+12:00:03\s+6\.5s\s+kvm02✓ kvm03…$/m,
      );
    // a stage stored in progress by an earlier controller stops at the rollout's end too
    const stored: RolloutStatusJson = { ...RUNNING, state: "aborted", finishedAt: at(10) };
    expect(renderRolloutStatus(stored, T0 + 500_000)).toMatch(/^2\s+batch\s+soaking\s+12:00:03\s+6\.5s/m);
  });

  it("lists failed hosts with their reasons and says when a rollback is converging", () => {
    const failed: RolloutStatusJson = {
      ...RUNNING,
      state: "failed",
      rollingBack: true,
      reason: "1 host failed (maxFailures 0)",
      failedHosts: ["kvm03"],
      hosts: RUNNING.hosts.map((h) =>
        h.name === "kvm03"
          ? { ...h, phase: "failed", reason: "domain web-03: start failed" }
          : h.name === "kvm01"
            ? { ...h, phase: "rollback-sent" }
            : h,
      ),
    };
    const text = renderRolloutStatus(failed, T0 + 10_000);
    expect(text).toContain("FAILED, ROLLING BACK\n");
    expect(text).toContain("Reason: 1 host failed (maxFailures 0)\n");
    expect(text).toMatch(/kvm01↺/);
    expect(text).toContain("Hosts: 1/4 done, 1 failed\n");
    expect(text).toContain("  ✗ kvm03: domain web-03: start failed\n");
    expect(text).not.toContain("Next:");
  });

  it("shows when an ended rollout ran, a new policy's (none) and a rollout without hosts", () => {
    const done: RolloutStatusJson = {
      ...RUNNING,
      previousRevision: undefined,
      state: "succeeded",
      finishedAt: at(125),
      stages: [{ index: 0, kind: "plan", hosts: [], state: "skipped", startedAt: at(0), finishedAt: at(0) }],
      hosts: [],
      lateHosts: ["kvm09"],
    };
    const text = renderRolloutStatus(done, T0 + 999_000);
    expect(text).toContain("Rollout of web: (none) → bbbbbbbbbbbb  SUCCEEDED\n");
    expect(text).toContain("Started 2026-01-01 12:00:00Z, ended 2026-01-01 12:02:05Z after 2m5s\n");
    expect(text).toContain("Hosts: none targeted when the rollout started, 1 enrolled during the rollout (kvm09)\n");
    expect(text).not.toContain("Marks:");
  });

  it("a paused rollout names its reason and the commands that apply", () => {
    const text = renderRolloutStatus({ ...RUNNING, state: "paused", reason: "latency alert" }, T0);
    expect(text).toContain("PAUSED\nReason: latency alert\n");
    expect(text).toContain("Next: virtfleet rollout resume|abort|rollback web [--reason TEXT]\n");
  });

  it("summarises the recorded fleet dry-run of stage 0 when the status carries it", () => {
    const plan = {
      policy: "web",
      revision: "b",
      plannedAt: at(0),
      targets: 4,
      summary: {
        hostsPlanned: 4,
        hostsChanging: 2,
        hostsUnanswered: 0,
        create: 0,
        change: 3,
        remove: 0,
        guestsRestart: 2,
        guestsRecreate: 0,
        failed: 0,
      },
      hosts: [],
    };
    const text = renderRolloutStatus({ ...RUNNING, plan } as RolloutStatusJson, T0);
    expect(text).toContain(
      "Plan: 2 hosts would change: 0 create, 3 change, 0 remove; 2 guests need a restart, 0 recreated; 0 hosts did not answer\n",
    );
    expect(renderRolloutStatus({ ...RUNNING, plan: { garbage: true } } as RolloutStatusJson, T0)).not.toContain(
      "Plan:",
    );
  });

  it("knows which states have ended", () => {
    expect(rolloutEnded({ state: "running", rollingBack: false })).toBe(false);
    expect(rolloutEnded({ state: "paused", rollingBack: false })).toBe(false);
    expect(rolloutEnded({ state: "pending", rollingBack: false })).toBe(false);
    expect(rolloutEnded({ state: "failed", rollingBack: true })).toBe(false);
    expect(rolloutEnded({ state: "failed", rollingBack: false })).toBe(true);
    for (const state of ["succeeded", "rolledback", "aborted"] as const)
      expect(rolloutEnded({ state, rollingBack: false })).toBe(true);
    expect(rolloutStateLabel({ state: "failed", rollingBack: true })).toBe("failed, rolling back");
  });
});
