import { describe, expect, it } from "vitest";
import type { ResourceReport } from "../../../engine/index.js";
import { OutcomeBook } from "../../../agent/enforce/index.js";

const r = (outcome: ResourceReport["outcome"], error?: string): ResourceReport => ({
  kind: "domain",
  name: "g",
  policy: "p",
  outcome,
  changes: outcome === "ok" ? [] : [{ field: "state", from: "shutoff", to: "running", disruption: "live" }],
  ...(error ? { error } : {}),
  attempts: 1,
  durationMs: 1,
});

describe("OutcomeBook: when an event-triggered run is worth a Report", () => {
  it("a repair and the re-check after it do not change a resource's standing (review finding)", () => {
    const book = new OutcomeBook();
    expect(book.update([r("ok")])).toBe(true);
    expect(book.update([r("changed")])).toBe(false);
    expect(book.update([r("ok")])).toBe(false);
  });

  it("going out of sync, failing differently and coming back are", () => {
    const book = new OutcomeBook();
    book.update([r("ok")]);
    expect(book.update([r("drift")])).toBe(true);
    expect(book.update([r("drift")])).toBe(false);
    expect(book.update([r("failed", "disk full")])).toBe(true);
    expect(book.update([r("failed", "permission denied")])).toBe(true);
    expect(book.update([r("ok")])).toBe(true);
  });
});
