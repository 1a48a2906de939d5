import { afterEach, describe, expect, it } from "vitest";
import { AgentStore } from "../../../agent/state/index.js";

const stores: AgentStore[] = [];
function open(limits?: { maxEntries: number; maxBytes: number }): AgentStore {
  const s = AgentStore.openFile(":memory:", { outboxLimits: limits });
  stores.push(s);
  return s;
}
afterEach(() => {
  while (stores.length) stores.pop()!.close();
});

const drift = (id: string, resolved = false) => ({
  type: "drift" as const,
  payloadJson: JSON.stringify({ id, resolved }),
  driftId: id,
  resolved,
});
const report = (n: number) => ({ type: "report" as const, payloadJson: JSON.stringify({ n }) });

describe("outbox", () => {
  it("numbers entries durably, lists them in order and deletes on ack without reusing numbers", () => {
    const { outbox } = open();
    expect(outbox.append(report(1)).eventSeq).toBe(1);
    expect(outbox.append(drift("a")).eventSeq).toBe(2);
    expect(outbox.append(report(2)).eventSeq).toBe(3);
    expect(outbox.pending(0).map((e) => [e.eventSeq, e.type])).toEqual([
      [1, "report"],
      [2, "drift"],
      [3, "report"],
    ]);
    expect(outbox.pending(1).map((e) => e.eventSeq)).toEqual([2, 3]);
    expect(outbox.ack(2)).toBe(2);
    expect(outbox.ack(3)).toBe(1);
    expect(outbox.pending(0)).toEqual([]);
    expect(outbox.append(report(3)).eventSeq).toBe(4);
    expect(outbox.stats()).toMatchObject({ entries: 1, lastEventSeq: 4, compactedTotal: 0 });
  });

  it("keeps numbering across reopen of a file", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "vft-outbox-"));
    try {
      const a = AgentStore.open(dir);
      a.outbox.append(report(1));
      a.outbox.append(report(2));
      a.outbox.ack(2);
      a.close();
      const b = AgentStore.open(dir);
      expect(b.outbox.append(report(3)).eventSeq).toBe(3);
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compacts superseded drift states first, then old reports, then resolved drift, then the oldest, counting each", () => {
    const { outbox } = open({ maxEntries: 5, maxBytes: 1 << 20 });
    outbox.append(drift("x")); // 1 superseded by 4
    outbox.append(report(1)); // 2 superseded by 6
    outbox.append(drift("y", true)); // 3 resolved
    outbox.append(drift("x", true)); // 4
    outbox.append(drift("z")); // 5 open
    expect(outbox.append(report(2)).compacted).toBe(1); // 6: drops 1
    expect(outbox.pending(0).map((e) => e.eventSeq)).toEqual([2, 3, 4, 5, 6]);
    expect(outbox.append(drift("w")).compacted).toBe(1); // 7: drops report 2
    expect(outbox.pending(0).map((e) => e.eventSeq)).toEqual([3, 4, 5, 6, 7]);
    outbox.append(drift("v")); // 8: drops resolved 3
    expect(outbox.pending(0).map((e) => e.eventSeq)).toEqual([4, 5, 6, 7, 8]);
    outbox.append(drift("u")); // 9: drops resolved 4
    outbox.append(drift("t")); // 10: nothing resolved or superseded left: the oldest (5)
    expect(outbox.pending(0).map((e) => e.eventSeq)).toEqual([6, 7, 8, 9, 10]);
    expect(outbox.stats()).toMatchObject({ entries: 5, compactedTotal: 5, lastEventSeq: 10 });
  });

  it("respects a byte budget and always keeps the entry just appended", () => {
    const { outbox } = open({ maxEntries: 1000, maxBytes: 100 });
    outbox.append({ type: "report", payloadJson: "x".repeat(60) });
    outbox.append({ type: "report", payloadJson: "y".repeat(60) });
    expect(outbox.pending(0).map((e) => e.eventSeq)).toEqual([2]);
    outbox.append({ type: "report", payloadJson: "z".repeat(500) });
    expect(outbox.pending(0).map((e) => e.eventSeq)).toEqual([3]);
    expect(outbox.stats().compactedTotal).toBe(2);
  });

  it("caches one bundle and small state documents", () => {
    const s = open();
    expect(s.bundles.load()).toBeNull();
    s.bundles.save({ revision: "r1", generation: 1, bundleJson: "{}" }, 5);
    s.bundles.save({ revision: "r2", generation: 2, bundleJson: '{"a":1}' }, 6);
    expect(s.bundles.load()).toEqual({ revision: "r2", generation: 2, bundleJson: '{"a":1}', savedAt: 6 });
    s.docs.save("k", { a: [1] });
    expect(s.docs.load("k")).toEqual({ a: [1] });
    expect(s.docs.load("missing")).toBeUndefined();
  });
});
