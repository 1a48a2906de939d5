import { describe, expect, it } from "vitest";
import { decideOnRevision, type Rollout } from "../../../controller/rollout/index.js";
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
