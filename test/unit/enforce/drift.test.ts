import { describe, expect, it } from "vitest";
import { DriftTracker, type DriftRunContext } from "../../../agent/enforce/index.js";
import type { ResourceReport } from "../../../engine/index.js";

function rep(outcome: ResourceReport["outcome"], extra: Partial<ResourceReport> = {}): ResourceReport {
  return { kind: "domain", name: "web", policy: "p", outcome, changes: [], attempts: 1, durationMs: 1, ...extra };
}
const stateChange = [{ field: "state", from: "shutoff", to: "running", disruption: "live" as const }];

function ctx(o: Partial<DriftRunContext> = {}): DriftRunContext {
  let n = 0;
  return {
    now: 1000,
    intentional: false,
    sourceOf: () => "event",
    suppressed: new Map(),
    newId: () => `id${++n}`,
    ...o,
  };
}

describe("drift events from engine results", () => {
  it("a repair is one resolved corrective `repaired` event with desired = to, actual = from", () => {
    const t = new DriftTracker();
    const [e, ...rest] = t.derive([rep("changed", { changes: stateChange })], ctx());
    expect(rest).toEqual([]);
    expect(e).toEqual({
      id: "id1",
      policy: "p",
      kind: "domain",
      name: "web",
      fields: [{ field: "state", desiredJson: '"running"', actualJson: '"shutoff"' }],
      detectedAtMs: 1000,
      source: "event",
      remediation: "repaired",
      resolvedAtMs: 1000,
      classification: "corrective",
      detail: "",
    });
    expect(t.openDrift("domain/web")).toBeUndefined();
  });

  it("changes made for a new bundle are intentional, source apply", () => {
    const t = new DriftTracker();
    const [e] = t.derive(
      [rep("changed", { changes: stateChange })],
      ctx({ intentional: true, sourceOf: () => "apply" }),
    );
    expect(e).toMatchObject({ classification: "intentional", source: "apply", remediation: "repaired" });
  });

  it("audit drift is reported once, unresolved, then resolved with the same id when back in sync", () => {
    const t = new DriftTracker();
    const [a] = t.derive([rep("drift", { changes: stateChange })], ctx({ sourceOf: () => "resync" }));
    expect(a).toMatchObject({ id: "id1", remediation: "reported", resolvedAtMs: 0, source: "resync" });
    expect(t.derive([rep("drift", { changes: stateChange })], ctx({ now: 2000 }))).toEqual([]);
    const [b] = t.derive([rep("ok")], ctx({ now: 3000 }));
    expect(b).toMatchObject({ id: "id1", remediation: "reported", resolvedAtMs: 3000, detectedAtMs: 1000 });
    expect(t.derive([rep("ok")], ctx())).toEqual([]);
  });

  it("a failed repair carries the error; the same error is not sent twice; a later repair closes it", () => {
    const t = new DriftTracker();
    const [a] = t.derive([rep("failed", { error: "boom" })], ctx());
    expect(a).toMatchObject({ remediation: "failed", detail: "boom", resolvedAtMs: 0 });
    expect(t.derive([rep("failed", { error: "boom" })], ctx())).toEqual([]);
    const [b] = t.derive([rep("changed", { changes: stateChange })], ctx({ now: 5000 }));
    expect(b).toMatchObject({ id: a!.id, remediation: "repaired", resolvedAtMs: 5000, detail: "" });
  });

  it("a resource held by the flap guard raises one `suppressed` event, closed as repaired after acknowledgement", () => {
    const t = new DriftTracker();
    const held = new Map([["domain/web", "repaired 3 times within 600 s"]]);
    const [a] = t.derive([rep("drift", { changes: stateChange })], ctx({ suppressed: held }));
    expect(a).toMatchObject({
      remediation: "suppressed",
      detail: "repaired 3 times within 600 s",
      resolvedAtMs: 0,
      classification: "corrective",
    });
    expect(t.derive([rep("drift", { changes: stateChange })], ctx({ suppressed: held }))).toEqual([]);
    const [b] = t.derive([rep("changed", { changes: stateChange })], ctx({ now: 9000 }));
    expect(b).toMatchObject({ id: a!.id, remediation: "repaired", resolvedAtMs: 9000 });
  });

  it("skipped results say nothing; dropped resources have their open drift resolved; state survives a snapshot", () => {
    const t = new DriftTracker();
    expect(t.derive([rep("skipped")], ctx())).toEqual([]);
    t.derive([rep("drift", { changes: stateChange })], ctx());
    const u = new DriftTracker(JSON.parse(JSON.stringify(t.snapshot())));
    const [e] = u.retain(new Set(["domain/other"]), 7000);
    expect(e).toMatchObject({ id: "id1", resolvedAtMs: 7000, detail: "no longer in the policy bundle" });
  });
});

describe("drift seen before a repair", () => {
  it("is recorded at once as an in-progress repair, then resolved with the same id", () => {
    const t = new DriftTracker();
    const [d] = t.detect([rep("drift", { changes: stateChange })], ctx());
    expect(d).toMatchObject({
      id: "id1",
      remediation: "repaired",
      resolvedAtMs: 0,
      detail: "repair in progress",
      source: "event",
    });
    expect(t.detect([rep("drift", { changes: stateChange })], ctx())).toEqual([]);
    const [r] = t.derive([rep("changed", { changes: stateChange })], ctx({ now: 1500 }));
    expect(r).toMatchObject({ id: "id1", remediation: "repaired", resolvedAtMs: 1500, detectedAtMs: 1000, detail: "" });
  });

  it("a blocked change is reported like a failed repair, with the refusal as detail", () => {
    const t = new DriftTracker();
    const [a] = t.derive([rep("blocked", { error: "pool/p: path /a → /b would strand its 1 volume (v)" })], ctx());
    expect(a).toMatchObject({ remediation: "failed", detail: "pool/p: path /a → /b would strand its 1 volume (v)" });
    expect(t.derive([rep("blocked", { error: "pool/p: path /a → /b would strand its 1 volume (v)" })], ctx())).toEqual(
      [],
    );
  });

  it("a failed repair turns the in-progress event into `failed`", () => {
    const t = new DriftTracker();
    t.detect([rep("drift", { changes: stateChange })], ctx());
    const [f] = t.derive([rep("failed", { error: "cannot start" })], ctx());
    expect(f).toMatchObject({
      id: "id1",
      remediation: "failed",
      detail: "cannot start",
      resolvedAtMs: 0,
      fields: [{ field: "state", desiredJson: '"running"', actualJson: '"shutoff"' }],
    });
  });
});
