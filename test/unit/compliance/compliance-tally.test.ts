import { describe, expect, it } from "vitest";
import { ComplianceTally, type HostComplianceJson, type PolicyStatus } from "../../../controller/compliance/index.js";

// The tally's contract is about which hosts it reads when: its source records the reads.
function fleet(statuses: Record<string, PolicyStatus[]>) {
  const reads: string[] = [];
  const source = {
    statuses,
    names: async () => Object.keys(statuses).sort(),
    host: async (name: string): Promise<HostComplianceJson | undefined> => {
      reads.push(name);
      const s = statuses[name];
      if (!s) return undefined;
      return {
        name,
        compliant: s.every((x) => x === "compliant"),
        connected: true,
        generation: 1,
        observedGeneration: 1,
        policies: s.map((status, i) => ({
          name: `p${i}`,
          revision: "r",
          status,
          resources: { ok: 0, drift: 0, failed: 0, pendingRestart: 0 },
        })),
      };
    },
  };
  return { source, reads };
}

const counts = (t: ComplianceTally) => {
  const out: Record<string, string> = {};
  for (const [name, h] of t.entries()) out[name] = h.status;
  return out;
};

describe("ComplianceTally", () => {
  it("reads every host once, then only the hosts touched since", async () => {
    const { source, reads } = fleet({ a: ["compliant"], b: ["compliant", "drifted"], c: ["pending"] });
    let now = 0;
    const t = new ComplianceTally(source, { chunk: 2, reconcileEveryMs: 1_000 }, () => now);
    await t.update(3);
    expect(counts(t)).toEqual({ a: "compliant", b: "drifted", c: "pending" });
    expect(reads.splice(0)).toEqual(["a", "b", "c"]);
    await t.update(3);
    expect(reads).toEqual([]);
    source.statuses.b = ["failed", "drifted"];
    t.touch("b");
    await t.update(3);
    expect(reads.splice(0)).toEqual(["b"]);
    expect(counts(t).b).toBe("failed");
    // a full pass becomes due: it runs in the background, the scrape is served at once
    now = 1_000;
    await t.update(3);
    await new Promise((r) => setTimeout(r, 10));
    expect(reads.splice(0).sort()).toEqual(["a", "b", "c"]);
  });

  it("drops a removed host when the enrolled count differs, and a touched host that is gone", async () => {
    const { source } = fleet({ a: ["compliant"], b: ["compliant"], c: ["compliant"] });
    const t = new ComplianceTally(source, { chunk: 100, reconcileEveryMs: 600_000 });
    await t.update(3);
    delete source.statuses.c;
    await t.update(2);
    expect(Object.keys(counts(t))).toEqual(["a", "b"]);
    delete source.statuses.b;
    t.touch("b");
    await t.update();
    expect(Object.keys(counts(t))).toEqual(["a"]);
  });

  it("a host with no policies is compliant; its worst policy decides otherwise", async () => {
    const { source } = fleet({ a: [], b: ["pending-restart", "compliant"], c: ["drifted", "failed"] });
    const t = new ComplianceTally(source, { chunk: 1, reconcileEveryMs: 600_000 });
    await t.update();
    expect(counts(t)).toEqual({ a: "compliant", b: "pending-restart", c: "failed" });
  });

  it("a full pass through everyHost: one read for the fleet, a host touched after that read keeps its own read", async () => {
    const { source, reads } = fleet({ a: ["compliant"], b: ["drifted"], c: ["pending"] });
    let everyReads = 0;
    let during: (() => Promise<void>) | undefined;
    const batched = {
      ...source,
      names: async () => {
        throw new Error("a pass with everyHost reads no names");
      },
      everyHost: async () => {
        everyReads++;
        const snapshot = await Promise.all(
          Object.keys(source.statuses)
            .sort()
            .map((n) => source.host(n)),
        );
        reads.splice(0);
        await during?.();
        return snapshot.filter((h) => h !== undefined);
      },
    };
    let now = 0;
    const t = new ComplianceTally(batched, { chunk: 2, reconcileEveryMs: 1_000, fullPassFrom: 2 }, () => now);
    t.touch("a");
    await t.update();
    expect(everyReads).toBe(1);
    expect(reads).toEqual([]); // a, touched before the pass, is not read again on its own
    expect(counts(t)).toEqual({ a: "compliant", b: "drifted", c: "pending" });
    // one touched host is read on its own; fullPassFrom touched hosts by one pass
    source.statuses.a = ["failed"];
    t.touch("a");
    await t.update(3);
    expect([everyReads, reads.splice(0)]).toEqual([1, ["a"]]);
    source.statuses.a = ["compliant"];
    source.statuses.c = ["compliant"];
    t.touch("a");
    t.touch("c");
    await t.update(3);
    expect([everyReads, reads.splice(0)]).toEqual([2, []]);
    expect(counts(t)).toEqual({ a: "compliant", b: "drifted", c: "compliant" });
    // the next pass: c is removed (dropped); b changes right after the fleet was read, is
    // touched and read on its own (a scrape's update) before the pass holds what it read
    delete source.statuses.c;
    during = async () => {
      source.statuses.b = ["failed"];
      t.touch("b");
      await t.update();
      expect(counts(t).b).toBe("failed");
    };
    now = 1_000;
    await t.update(2);
    expect(everyReads).toBe(3);
    expect(counts(t)).toEqual({ a: "compliant", b: "failed" });
    expect(reads).toEqual(["b"]);
  });
});
