import { describe, expect, it } from "vitest";
import { fitEvent } from "../../../agent/link/index.js";

const resource = (i: number, error: string, changes = "[]") => ({
  kind: "domain",
  name: `g${i}`,
  policy: "p",
  outcome: "failed",
  changesJson: changes,
  error,
  pendingRestart: false,
});
const report = (resources: ReturnType<typeof resource>[]) => ({
  report: { eventSeq: 1, generation: 1, bundleRevision: "r", trigger: "resync", resources },
});
const size = (b: unknown) => Buffer.byteLength(JSON.stringify(b), "utf8");

describe("fitEvent: no outbox entry is too large for the wire (review finding)", () => {
  it("leaves a small event alone", () => {
    const b = report([resource(1, "x")]);
    expect(fitEvent(b, 10_000)).toBe(b);
  });

  it("clips error texts first, keeping every outcome", () => {
    const b = report(Array.from({ length: 50 }, (_, i) => resource(i, "e".repeat(2_000))));
    const f = fitEvent(b, 20_000)!;
    expect(size(f)).toBeLessThanOrEqual(20_000);
    expect("report" in f && f.report.resources!.length).toBe(50);
    expect("report" in f && f.report.resources![0]!.error!.length).toBe(256);
  });

  it("then leaves field changes out; gives up (null) when even outcomes do not fit", () => {
    const changes = JSON.stringify([{ field: "x", from: "a".repeat(500), to: "b", disruption: "live" }]);
    const b = report(Array.from({ length: 50 }, (_, i) => resource(i, "e", changes)));
    const f = fitEvent(b, 10_000)!;
    expect("report" in f && f.report.resources!.every((r) => r.changesJson === "[]")).toBe(true);
    expect(fitEvent(b, 100)).toBeNull();
  });

  it("drops a drift event's fields when they are too large", () => {
    const b = {
      drift: {
        eventSeq: 2,
        id: "d",
        fields: [{ field: "x", desiredJson: JSON.stringify("y".repeat(5_000)), actualJson: "1" }],
      },
    };
    const f = fitEvent(b, 1_000)!;
    expect("drift" in f && f.drift.fields).toEqual([]);
    expect("drift" in f && f.drift.detail).toMatch(/too large/);
  });
});
