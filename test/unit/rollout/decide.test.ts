import { describe, expect, it } from "vitest";
import { decideOnRevision, type Rollout } from "../../../controller/rollout/index.js";
import { NEW, OLD, Sim } from "./sim.js";

const H4 = ["kvm01", "kvm02", "kvm03", "kvm04"];

/** A rollout OLD → NEW over H4 driven to the point `drive` leaves it. */
function rollout(drive: (s: Sim) => void = () => undefined): Rollout {
  const s = new Sim({ targets: H4 });
  drive(s);
  return s.r;
}

describe("decideOnRevision", () => {
  it("starts a first rollout from no revision", () => {
    expect(decideOnRevision(undefined, "a")).toEqual({ type: "start", fromRevision: null, held: undefined, supersede: undefined });
  });

  it("does nothing when the newest rollout already carries the revision, active or ended (idempotent after a restart)", () => {
    expect(decideOnRevision(rollout(), NEW)).toEqual({ type: "none" });
    expect(decideOnRevision(rollout((s) => s.ev({ type: "start" })), NEW)).toEqual({ type: "none" });
  });

  it("supersedes an active rollout, starting from its good revision with what hosts hold", () => {
    const r = rollout((s) => {
      s.ev({ type: "start" });
      s.ev({ type: "planSkipped" });
    });
    const d = decideOnRevision(r, "third");
    expect(d).toMatchObject({ type: "start", fromRevision: OLD, supersede: r });
    if (d.type !== "start") throw new Error("unreachable");
    expect(d.held).toEqual({ kvm01: NEW, kvm02: OLD, kvm03: OLD, kvm04: OLD });
  });

  it("rolls an active rollout back when the policy returns to the revision it started from", () => {
    const r = rollout((s) => s.ev({ type: "start" }));
    expect(decideOnRevision(r, OLD)).toEqual({ type: "revert", rollout: r });
  });

  it("after a succeeded rollout the new revision starts from it; after a rollback from the old one", () => {
    const done = rollout((s) => s.ev({ type: "start" }));
    const succeeded = { ...done, state: "succeeded" as const };
    expect(decideOnRevision(succeeded, "third")).toMatchObject({ type: "start", fromRevision: NEW });
    const rolledback = { ...done, state: "rolledback" as const, rollback: { by: "operator" as const, startedAt: 1, finishedAt: 2 } };
    expect(decideOnRevision(rolledback, "third")).toMatchObject({ type: "start", fromRevision: OLD });
    expect(decideOnRevision(rolledback, OLD)).toEqual({ type: "none" });
    expect(decideOnRevision(succeeded, OLD)).toMatchObject({ type: "start", fromRevision: NEW });
  });

  it("a policy removed and added again starts from no revision", () => {
    const aborted = { ...rollout((s) => s.ev({ type: "start" })), state: "aborted" as const };
    expect(decideOnRevision(aborted, "again", true)).toEqual({ type: "start", fromRevision: null, held: undefined, supersede: undefined });
  });
});
