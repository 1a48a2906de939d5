import { describe, expect, it } from "vitest";
import { decideOnRemoval, decideOnRevision, POLICY_REMOVED, type Rollout } from "../../../controller/rollout/index.js";
import { NEW, OLD, Sim } from "./sim.js";

const H4 = ["kvm01", "kvm02", "kvm03", "kvm04"];

/** A rollout OLD → NEW over H4 driven to the point `drive` leaves it. */
function rollout(drive: (s: Sim) => void = () => undefined): Rollout {
  const s = new Sim({ targets: H4, policyGeneration: 2 });
  drive(s);
  return s.r;
}

describe("decideOnRevision", () => {
  it("starts a first rollout from no revision", () => {
    expect(decideOnRevision(undefined, "a", 1)).toEqual({
      type: "start",
      fromRevision: null,
      held: undefined,
      supersede: undefined,
    });
  });

  it("does nothing when the newest rollout already carries the revision, active or ended (idempotent after a restart)", () => {
    expect(decideOnRevision(rollout(), NEW, 2)).toEqual({ type: "none" });
    expect(
      decideOnRevision(
        rollout((s) => s.ev({ type: "start" })),
        NEW,
        2,
      ),
    ).toEqual({ type: "none" });
  });

  it("supersedes an active rollout, starting from its good revision with what hosts hold", () => {
    const r = rollout((s) => {
      s.ev({ type: "start" });
      s.ev({ type: "planSkipped" });
    });
    const d = decideOnRevision(r, "third", 3);
    expect(d).toMatchObject({ type: "start", fromRevision: OLD, supersede: r });
    if (d.type !== "start") throw new Error("unreachable");
    expect(d.held).toEqual({ kvm01: NEW, kvm02: OLD, kvm03: OLD, kvm04: OLD });
  });

  it("rolls an active rollout back when the policy returns to the revision it started from", () => {
    const r = rollout((s) => s.ev({ type: "start" }));
    expect(decideOnRevision(r, OLD, 3)).toEqual({ type: "revert", rollout: r });
  });

  it("after a succeeded rollout the new revision starts from it; after a rollback from the old one", () => {
    const done = rollout((s) => s.ev({ type: "start" }));
    const succeeded = { ...done, state: "succeeded" as const };
    expect(decideOnRevision(succeeded, "third", 3)).toMatchObject({ type: "start", fromRevision: NEW });
    const rolledback = {
      ...done,
      state: "rolledback" as const,
      rollback: { by: "operator" as const, startedAt: 1, finishedAt: 2 },
    };
    expect(decideOnRevision(rolledback, "third", 3)).toMatchObject({ type: "start", fromRevision: OLD });
    expect(decideOnRevision(rolledback, OLD, 3)).toEqual({ type: "none" });
    expect(decideOnRevision(succeeded, OLD, 3)).toMatchObject({ type: "start", fromRevision: NEW });
  });

  it("a revision that comes back at a later generation rolls out again (B rolled back, then A, then B)", () => {
    const done = rollout((s) => s.ev({ type: "start" }));
    const rolledback = {
      ...done,
      state: "rolledback" as const,
      rollback: { by: "failure" as const, startedAt: 1, finishedAt: 2 },
    };
    expect(decideOnRevision(rolledback, NEW, 2)).toEqual({ type: "none" });
    expect(decideOnRevision(rolledback, OLD, 3)).toEqual({ type: "none" });
    expect(decideOnRevision(rolledback, NEW, 4)).toMatchObject({ type: "start", fromRevision: OLD });
  });

  it("a policy removed and added again starts from no revision, even with the same content", () => {
    const aborted = { ...rollout((s) => s.ev({ type: "start" })), state: "aborted" as const };
    expect(decideOnRevision(aborted, NEW, 3, true)).toEqual({
      type: "start",
      fromRevision: null,
      held: undefined,
      supersede: undefined,
    });
    expect(decideOnRevision(aborted, NEW, 2, true)).toEqual({ type: "none" });
  });

  it("a policy removed and added again starts from no revision", () => {
    const aborted = { ...rollout((s) => s.ev({ type: "start" })), state: "aborted" as const };
    expect(decideOnRevision(aborted, "again", 3, true)).toEqual({
      type: "start",
      fromRevision: null,
      held: undefined,
      supersede: undefined,
    });
  });
});

describe("decideOnRemoval (issue 21 item 5: a deleted policy leaves its hosts in stages)", () => {
  it("after a succeeded rollout: a removal from the new revision over what hosts hold", () => {
    const succeeded = { ...rollout((s) => s.ev({ type: "start" })), state: "succeeded" as const };
    expect(decideOnRemoval(succeeded)).toMatchObject({ type: "start", fromRevision: NEW, supersede: undefined });
  });

  it("an active rollout is superseded; hosts keep what they hold until their stage", () => {
    const r = rollout((s) => {
      s.ev({ type: "start" });
      s.ev({ type: "planSkipped" });
    });
    const d = decideOnRemoval(r);
    expect(d).toMatchObject({ type: "start", fromRevision: OLD, supersede: r });
    if (d.type !== "start") throw new Error("unreachable");
    expect(d.held).toEqual({ kvm01: NEW, kvm02: OLD, kvm03: OLD, kvm04: OLD });
  });

  it("idempotent: nothing when the newest rollout already removes it, or there is none", () => {
    const s = new Sim({ targets: H4, policyGeneration: 2, fromRevision: NEW, toRevision: POLICY_REMOVED });
    expect(decideOnRemoval(s.r)).toEqual({ type: "none" });
    expect(decideOnRemoval(undefined)).toEqual({ type: "none" });
  });

  it("restoring the file during the removal reverts it; a later revision starts from what hosts hold", () => {
    const s = new Sim({ targets: H4, policyGeneration: 2, fromRevision: NEW, toRevision: POLICY_REMOVED });
    s.ev({ type: "start" });
    s.ev({ type: "planSkipped" });
    expect(decideOnRevision(s.r, NEW, 3, true)).toEqual({ type: "revert", rollout: s.r });
    const d = decideOnRevision(s.r, "third", 3, true);
    expect(d).toMatchObject({ type: "start", fromRevision: NEW, supersede: s.r });
    if (d.type !== "start") throw new Error("unreachable");
    // The canary no longer holds the policy: null, not the pseudo revision.
    expect(d.held).toEqual({ kvm01: null, kvm02: NEW, kvm03: NEW, kvm04: NEW });
  });
});
