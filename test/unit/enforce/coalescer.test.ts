import { describe, expect, it } from "vitest";
import { Coalescer, PendingRun } from "../../../agent/enforce/index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("coalescer", () => {
  it("hands a burst over as one batch, timed from its first key", async () => {
    const batches: string[][] = [];
    const c = new Coalescer<string>(40, (keys) => batches.push([...keys].sort()));
    const t0 = Date.now();
    c.add("domain/a");
    await sleep(15);
    c.add("domain/b", "domain/a");
    await sleep(15);
    c.add("network/n");
    expect(batches).toEqual([]);
    await sleep(40);
    expect(batches).toEqual([["domain/a", "domain/b", "network/n"]]);
    expect(Date.now() - t0).toBeLessThan(200);
    c.add("domain/c");
    await sleep(60);
    expect(batches).toEqual([["domain/a", "domain/b", "network/n"], ["domain/c"]]);
  });

  it("cancel drops what is pending", async () => {
    const batches: string[][] = [];
    const c = new Coalescer<string>(10, (keys) => batches.push([...keys]));
    c.add("x");
    expect(c.pending).toBe(1);
    c.cancel();
    await sleep(30);
    expect(batches).toEqual([]);
  });
});

describe("pending run (merged triggers)", () => {
  it("merges targets; the most significant reason names the run; events win the source", () => {
    const p = new PendingRun().add("event", [{ type: "id", id: "domain/a" }]);
    p.merge(
      new PendingRun().add("resync", [
        { type: "id", id: "domain/a" },
        { type: "kind", kind: "network" },
      ]),
    );
    expect(p.trigger).toBe("resync");
    expect(p.full).toBe(false);
    expect(p.selects("domain/a", "domain")).toBe(true);
    expect(p.selects("domain/b", "domain")).toBe(false);
    expect(p.selects("network/x", "network")).toBe(true);
    expect(p.sourceOf("domain/a", "domain")).toBe("event");
    expect(p.sourceOf("network/x", "network")).toBe("resync");
    p.add("bundle", [{ type: "all" }]);
    expect(p.trigger).toBe("bundle");
    expect(p.intentional).toBe(true);
    expect(p.selects("pool/p", "pool")).toBe(true);
    expect(p.sourceOf("domain/a", "domain")).toBe("apply");
  });
});
