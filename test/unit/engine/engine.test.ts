import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { emptyOutcomeCounts } from "../../../common/wire/states.js";
import {
  buildGraph,
  converge,
  DEFAULT_ENGINE_OPTIONS,
  RefusedChangeError,
  type CheckResult,
  type FieldChange,
  type Resource,
  type ResourceKind,
} from "../../../engine/index.js";

/** A scripted resource: holds an in-memory "actual" value and converges it to "desired". */
class Scripted implements Resource {
  calls: boolean[] = [];
  active = 0;
  static maxActive = 0;
  static running = 0;
  constructor(
    readonly kind: ResourceKind,
    readonly name: string,
    readonly dependsOn: string[] = [],
    public actual = "old",
    public desired = "new",
    readonly behaviour: { throws?: unknown[]; delayMs?: number; sticky?: boolean; hang?: boolean } = {},
    readonly removing = false,
    readonly policy = "p",
  ) {}
  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    this.calls.push(apply);
    Scripted.running++;
    Scripted.maxActive = Math.max(Scripted.maxActive, Scripted.running);
    try {
      if (this.behaviour.hang)
        await new Promise((_, rej) => signal.addEventListener("abort", () => rej(signal.reason)));
      if (this.behaviour.delayMs) await new Promise((r) => setTimeout(r, this.behaviour.delayMs));
      const t = this.behaviour.throws?.shift();
      if (t) throw t;
      if (this.actual === this.desired) return { changes: [] };
      const change: FieldChange = { field: "value", from: this.actual, to: this.desired, disruption: "live" };
      if (apply && !this.behaviour.sticky) this.actual = this.desired;
      return { changes: [change] };
    } finally {
      Scripted.running--;
    }
  }
}

const opts = (apply: boolean, over: Partial<typeof DEFAULT_ENGINE_OPTIONS> = {}) => ({
  ...DEFAULT_ENGINE_OPTIONS,
  retryBackoff: { initialMs: 1, maxMs: 2, multiplier: 2 },
  apply,
  ...over,
});

describe("execution graph", () => {
  it("orders pool → volume → domain and network → domain", () => {
    const g = buildGraph([
      new Scripted("domain", "web", ["volume/p/web.qcow2", "network/n"]),
      new Scripted("volume", "p/web.qcow2", ["pool/p"]),
      new Scripted("network", "n"),
      new Scripted("pool", "p"),
    ]);
    const pos = (id: string) => g.ids.indexOf(id);
    expect(pos("pool/p")).toBeLessThan(pos("volume/p/web.qcow2"));
    expect(pos("volume/p/web.qcow2")).toBeLessThan(pos("domain/web"));
    expect(pos("network/n")).toBeLessThan(pos("domain/web"));
  });

  it("reverses edges when both ends are being removed", () => {
    const g = buildGraph([
      new Scripted("domain", "web", ["volume/p/v"], "x", "x", {}, true),
      new Scripted("volume", "p/v", ["pool/p"], "x", "x", {}, true),
      new Scripted("pool", "p", [], "x", "x", {}, true),
    ]);
    expect(g.ids).toEqual(["domain/web", "volume/p/v", "pool/p"]);
  });

  it("rejects cycles and duplicates, ignores dependencies outside the set", () => {
    expect(() => buildGraph([new Scripted("pool", "a", ["pool/b"]), new Scripted("pool", "b", ["pool/a"])])).toThrow(
      /dependency cycle: /,
    );
    expect(() => buildGraph([new Scripted("pool", "a"), new Scripted("pool", "a")])).toThrow(/declared twice/);
    expect(buildGraph([new Scripted("volume", "p/v", ["pool/elsewhere"])]).ids).toEqual(["volume/p/v"]);
  });
});

describe("converge", () => {
  it("dry-run reports drift and changes nothing; apply changes; a second apply is all ok", async () => {
    const rs = [
      new Scripted("pool", "p"),
      new Scripted("volume", "p/v", ["pool/p"]),
      new Scripted("network", "n", [], "same", "same"),
    ];
    const dry = await converge(rs, opts(false));
    expect(dry.summary).toEqual({ ...emptyOutcomeCounts(), ok: 1, drift: 2 });
    expect(rs[0].actual).toBe("old");
    const applied = await converge(rs, opts(true));
    expect(applied.summary.changed).toBe(2);
    expect(applied.resources.find((r) => r.name === "p")!.changes).toEqual([
      { field: "value", from: "old", to: "new", disruption: "live" },
    ]);
    const again = await converge(rs, opts(true));
    expect(again.summary).toEqual({ ...emptyOutcomeCounts(), ok: 3 });
  });

  it("skips dependants of a failure, transitively, and keeps unrelated resources going", async () => {
    const rs = [
      new Scripted("pool", "p", [], "old", "new", { throws: [new Error("disk full")] }),
      new Scripted("volume", "p/v", ["pool/p"]),
      new Scripted("domain", "d", ["volume/p/v"]),
      new Scripted("network", "n"),
    ];
    const r = await converge(rs, opts(true, { retries: 0 }));
    const by = Object.fromEntries(r.resources.map((x) => [`${x.kind}/${x.name}`, x]));
    expect(by["pool/p"]).toMatchObject({ outcome: "failed", error: "disk full" });
    expect(by["volume/p/v"]).toMatchObject({ outcome: "skipped", error: "skipped: pool/p failed" });
    expect(by["domain/d"]).toMatchObject({ outcome: "skipped", error: "skipped: volume/p/v was skipped" });
    expect(by["network/n"].outcome).toBe("changed");
    expect(rs[1].calls).toEqual([]);
  });

  it("retries transient errors with backoff, not permanent ones", async () => {
    const transient = Object.assign(new Error("connection reset"), { transient: true });
    const flaky = new Scripted("pool", "flaky", [], "old", "new", { throws: [transient, transient] });
    const broken = new Scripted("pool", "broken", [], "old", "new", { throws: [new Error("invalid xml")] });
    const events: string[] = [];
    const r = await converge([flaky, broken], {
      ...opts(true, { retries: 2 }),
      isTransient: (e) => (e as { transient?: boolean }).transient === true,
      onEvent: (e) => e.type === "retry" && events.push(`${e.id}#${e.attempt}`),
    });
    expect(r.resources.find((x) => x.name === "flaky")).toMatchObject({ outcome: "changed", attempts: 3 });
    expect(r.resources.find((x) => x.name === "broken")).toMatchObject({ outcome: "failed", attempts: 1 });
    expect(events).toEqual(["pool/flaky#1", "pool/flaky#2"]);
  });

  it("fails a resource that still differs after apply (no false 'changed')", async () => {
    const r = await converge([new Scripted("domain", "sticky", [], "old", "new", { sticky: true })], opts(true));
    expect(r.resources[0].outcome).toBe("failed");
    expect(r.resources[0].error).toMatch(/still differs after apply in value/);
  });

  it("times out a hung resource and aborts its signal", async () => {
    const hung = new Scripted("pool", "hung", [], "old", "new", { hang: true });
    const r = await converge(
      [hung, new Scripted("volume", "hung/v", ["pool/hung"])],
      opts(true, { timeoutMs: 50, retries: 0 }),
    );
    expect(r.resources[0]).toMatchObject({ outcome: "failed" });
    expect(r.resources[0].error).toMatch(/no result within 50 ms/);
    expect(r.resources[1].outcome).toBe("skipped");
  });

  it("never runs more than `concurrency` resources at once", async () => {
    Scripted.maxActive = 0;
    const rs = Array.from({ length: 12 }, (_, i) => new Scripted("domain", `d${i}`, [], "old", "new", { delayMs: 10 }));
    const r = await converge(rs, opts(false, { concurrency: 3 }));
    expect(r.summary.drift).toBe(12);
    expect(Scripted.maxActive).toBe(3);
  });

  it("only checks audit-mode resources, reporting drift even when applying", async () => {
    const audited = Object.assign(new Scripted("network", "audited"), { audit: true });
    const r = await converge([audited, new Scripted("network", "enforced")], opts(true));
    expect(r.resources.map((x) => [x.name, x.outcome])).toEqual([
      ["audited", "drift"],
      ["enforced", "changed"],
    ]);
    expect(audited.actual).toBe("old");
    expect(audited.calls).toEqual([false]);
  });

  it("leaves no listener on the caller's long-lived signal (review finding)", async () => {
    const ctl = new AbortController();
    const rs = Array.from({ length: 5 }, (_, i) => new Scripted("domain", `l${i}`));
    await converge(rs, { ...opts(true), signal: ctl.signal });
    expect(getEventListeners(ctl.signal, "abort")).toHaveLength(0);
  });
});

describe("refused changes (blocked / conflict)", () => {
  it("reports the refusal's outcome, message and asked-for changes, never retries, and does not skip dependents", async () => {
    const asked: FieldChange[] = [{ field: "path", from: "/a", to: "/b", disruption: "recreate" }];
    const pool = new Scripted("pool", "p", [], "old", "new", {
      throws: [new RefusedChangeError("blocked", "pool/p: path holds 2 volumes", asked)],
    });
    const net = new Scripted("network", "n", [], "old", "new", {
      throws: [new RefusedChangeError("conflict", "network/n: unmanaged object with this name")],
    });
    const vol = new Scripted("volume", "p/v", ["pool/p"], "same", "same");
    const report = await converge([pool, net, vol], opts(true, { isTransient: () => true }));
    const by = (id: string) => report.resources.find((r) => `${r.kind}/${r.name}` === id)!;
    expect(by("pool/p")).toMatchObject({ outcome: "blocked", changes: asked, attempts: 1 });
    expect(by("pool/p").error).toMatch(/holds 2 volumes/);
    expect(by("network/n")).toMatchObject({ outcome: "conflict", changes: [], attempts: 1 });
    expect(by("volume/p/v").outcome).toBe("ok");
    expect(pool.actual).toBe("old"); // nothing touched
    expect(report.summary).toMatchObject({ blocked: 1, conflict: 1, ok: 1, failed: 0, suppressed: 0 });
  });
});
