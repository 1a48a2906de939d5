import pino from "pino";
import { describe, expect, it } from "vitest";
import type { CheckResult, Resource, ResourceKind } from "../../../engine/index.js";
import { LibvirtConnectionError, LibvirtTimeoutError, type Hypervisor } from "../../../libvirt/index.js";
import type { ResourceContext, ResourceFactoryOptions } from "../../../kinds/index.js";
import {
  checkOnlyReason,
  isTransientFor,
  prepareBundle,
  runBundle,
  type RunBundleOptions,
} from "../../../agent/run-bundle/index.js";
import { loggerOptions, silentLogger, type ResolvedPolicy } from "../../../common/index.js";
import { resolvedPolicy, tinyDomainSpec } from "../../harness/specs.js";

// runBundle's decisions (dry-run, audit, held, detect-first, what is retried) with scripted
// resources in the engine tests' manner; the real resources only to show they are built
// without libvirt and reach it only inside a run.

/** A scripted resource: converges an in-memory value; records each call's `apply` and what the context gave it. */
class Scripted implements Resource {
  calls: boolean[] = [];
  seen: { hv: unknown; domainType: string; shutdownTimeoutMs: number }[] = [];
  readonly removing = false;
  constructor(
    readonly kind: ResourceKind,
    readonly name: string,
    readonly policy: string,
    private readonly o: ResourceFactoryOptions,
    readonly dependsOn: string[] = [],
    public actual = "old",
    readonly throws: unknown[] = [],
  ) {}
  async checkApply(_signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    this.calls.push(apply);
    this.seen.push({
      hv: this.o.ctx.hv,
      domainType: this.o.domainEnv.domainType,
      shutdownTimeoutMs: this.o.ctx.shutdownTimeoutMs,
    });
    const t = this.throws.shift();
    if (t) throw t;
    if (this.actual === "new") return { changes: [] };
    const change = { field: "value", from: this.actual, to: "new", disruption: "live" as const };
    if (apply) this.actual = "new";
    return { changes: [change] };
  }
}

const pol = (name: string, domains: string[], mode: ResolvedPolicy["mode"] = "enforce") =>
  resolvedPolicy(name, { domains: domains.map((d) => tinyDomainSpec(d)) }, { mode });

/** Prepares `policies` with Scripted domains; `made` collects them by name, `builds` counts builder calls. */
function scripted(policies: ResolvedPolicy[], throws: Record<string, unknown[]> = {}) {
  const made = new Map<string, Scripted>();
  let builds = 0;
  const bundle = prepareBundle(policies, {
    build: (pols, o) => {
      builds += 1;
      return pols.flatMap((p) =>
        p.resources.domains.map((d) => {
          const r = new Scripted("domain", d.name, p.name, o, [], "old", throws[d.name] ?? []);
          made.set(d.name, r);
          return r;
        }),
      );
    },
  });
  return { bundle, made, builds: () => builds };
}

const hv = (connection?: { generation: number; state: string }) => ({ connection }) as unknown as Hypervisor;
const host = (over: Partial<RunBundleOptions["host"]> = {}): RunBundleOptions["host"] => ({
  hv: hv(),
  log: silentLogger(),
  domainEnv: { domainType: "qemu" },
  ...over,
});
const fast = { retryBackoff: { initialMs: 1, maxMs: 2, multiplier: 2 } };

describe("prepareBundle", () => {
  it("builds the real resources without libvirt, in engine order; they reach libvirt only inside a run", async () => {
    const b = prepareBundle([
      resolvedPolicy("web", {
        pools: [{ name: "p1", type: "dir", path: "/var/lib/libvirt/p1", autostart: true, state: "active" }],
        domains: [tinyDomainSpec("g1")],
      }),
      pol("audited", ["g2"], "audit"),
    ]);
    expect(b.ids).toEqual(["pool/p1", "domain/g1", "domain/g2"]);
    expect(b.targets[1]).toEqual({ id: "domain/g1", kind: "domain", name: "g1" });
    // as declared: audit mode is runBundle's to apply
    expect(b.resources.every((r) => r.audit !== true)).toBe(true);
    const g1 = b.resources.find((r) => r.name === "g1")!;
    await expect(g1.checkApply(new AbortController().signal, false)).rejects.toMatchObject({ code: "NOT_BOUND" });
  });

  it("rejects a resource declared twice", () => {
    expect(() => prepareBundle([pol("a", ["g"]), pol("b", ["g"])])).toThrow(/declared twice/);
  });

  it("builds once; every run uses the same resources, bound to that run's host", async () => {
    const s = scripted([pol("web", ["g1"])]);
    const first = hv();
    const second = hv();
    await runBundle(s.bundle, { mode: "dry-run", origin: "agent", host: host({ hv: first }) });
    await runBundle(s.bundle, {
      mode: "dry-run",
      origin: "agent",
      host: host({ hv: second, domainEnv: { domainType: "kvm" }, shutdownTimeoutMs: 5 }),
    });
    expect(s.builds()).toBe(1);
    const g1 = s.made.get("g1")!;
    expect(g1.seen.map((x) => x.hv)).toEqual([first, second]);
    expect(g1.seen.map((x) => x.domainType)).toEqual(["qemu", "kvm"]);
    expect(g1.seen[1]!.shutdownTimeoutMs).toBe(5);
  });

  it("runs one run at a time per prepared bundle", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const bundle = prepareBundle([pol("web", ["g1"])], {
      build: (_p, o) => [
        {
          kind: "domain",
          name: "g1",
          policy: "web",
          dependsOn: [],
          removing: false,
          async checkApply() {
            void (o.ctx as ResourceContext).hv;
            await gate;
            return { changes: [] };
          },
        },
      ],
    });
    const running = runBundle(bundle, { mode: "enforce", origin: "agent", host: host() });
    await new Promise((r) => setTimeout(r, 5));
    await expect(runBundle(bundle, { mode: "enforce", origin: "agent", host: host() })).rejects.toMatchObject({
      code: "BUSY",
    });
    open();
    expect((await running).report.summary.ok).toBe(1);
  });
});

describe("runBundle: what may change", () => {
  it("enforce repairs enforce-mode resources and only checks audit-mode ones", async () => {
    const s = scripted([pol("web", ["g1"]), pol("watch", ["g2"], "audit")]);
    const run = await runBundle(s.bundle, { mode: "enforce", origin: "agent", host: host() });
    expect(run.report.dryRun).toBe(false);
    expect(run.report.resources.map((r) => [r.name, r.outcome])).toEqual([
      ["g1", "changed"],
      ["g2", "drift"],
    ]);
    expect(s.made.get("g1")!.calls).toEqual([true, false]); // apply, then the engine's verify
    expect(s.made.get("g2")!.calls).toEqual([false]);
    expect(run.held.size).toBe(0);
  });

  it("dry-run changes nothing, whatever the policy's mode", async () => {
    const s = scripted([pol("web", ["g1"]), pol("watch", ["g2"], "audit")]);
    const run = await runBundle(s.bundle, { mode: "dry-run", origin: "local", host: host() });
    expect(run.report.dryRun).toBe(true);
    expect(run.report.summary).toMatchObject({ drift: 2, changed: 0 });
    expect([...s.made.values()].map((r) => r.calls)).toEqual([[false], [false]]);
  });

  it("an enforce run only checks what the caller holds, and says which (never an audit-mode one)", async () => {
    const s = scripted([pol("web", ["g1", "g2"]), pol("watch", ["g3"], "audit")]);
    const asked: string[] = [];
    const run = await runBundle(s.bundle, {
      mode: "enforce",
      origin: "agent",
      host: host(),
      isHeld: (id) => {
        asked.push(id);
        return id !== "domain/g2";
      },
    });
    expect(asked.sort()).toEqual(["domain/g1", "domain/g2"]);
    expect([...run.held]).toEqual(["domain/g1"]);
    expect(run.report.resources.map((r) => [r.name, r.outcome])).toEqual([
      ["g1", "drift"],
      ["g2", "changed"],
      ["g3", "drift"],
    ]);
  });

  it("runs only the requested ids", async () => {
    const s = scripted([pol("web", ["g1", "g2"])]);
    const run = await runBundle(s.bundle, {
      mode: "enforce",
      origin: "agent",
      host: host(),
      only: ["domain/g2", "domain/elsewhere"],
    });
    expect(run.report.resources.map((r) => r.name)).toEqual(["g2"]);
    expect(s.made.get("g1")!.calls).toEqual([]);
  });

  it("checks detect-first resources it would repair before any repair, and stops when told", async () => {
    const s = scripted([pol("web", ["g1", "g2"]), pol("watch", ["g3"], "audit")]);
    const detected: string[][] = [];
    const run = await runBundle(s.bundle, {
      mode: "enforce",
      origin: "agent",
      host: host(),
      isHeld: (id) => id === "domain/g2",
      detectFirst: ["domain/g1", "domain/g2", "domain/g3"],
      onDetected: (reports) => {
        detected.push(reports.map((r) => `${r.name}:${r.outcome}`));
        expect(s.made.get("g1")!.actual).toBe("old"); // nothing repaired yet
        return true;
      },
    });
    expect(detected).toEqual([["g1:drift"]]); // not the held g2, not the audit-mode g3
    expect(run.abandoned).toBe(false);
    expect(run.report.resources.find((r) => r.name === "g1")!.outcome).toBe("changed");

    const again = scripted([pol("web", ["g1"])]);
    const stopped = await runBundle(again.bundle, {
      mode: "enforce",
      origin: "agent",
      host: host(),
      detectFirst: ["domain/g1"],
      onDetected: () => false,
    });
    expect(stopped.abandoned).toBe(true);
    expect(again.made.get("g1")!.calls).toEqual([false]);
  });

  it("ignores detect-first in a dry-run", async () => {
    const s = scripted([pol("web", ["g1"])]);
    let called = false;
    await runBundle(s.bundle, {
      mode: "dry-run",
      origin: "agent",
      host: host(),
      detectFirst: ["domain/g1"],
      onDetected: () => (called = true),
    });
    expect(called).toBe(false);
    expect(s.made.get("g1")!.calls).toEqual([false]);
  });
});

describe("runBundle: transient errors", () => {
  const dropped = () => new LibvirtConnectionError("refused", "/run/libvirt/libvirt-sock", "connection refused");
  const hung = () => new LibvirtTimeoutError("domainGetXMLDesc", 5_000, "/run/libvirt/libvirt-sock");

  it("in the agent retries a dropped connection, not a libvirt call that timed out", async () => {
    const s = scripted([pol("web", ["g1", "g2"])], { g1: [dropped()], g2: [hung()] });
    const run = await runBundle(s.bundle, { mode: "enforce", origin: "agent", host: host(), engine: fast });
    const by = Object.fromEntries(run.report.resources.map((r) => [r.name, r]));
    expect(by.g1).toMatchObject({ outcome: "changed", attempts: 2 });
    expect(by.g2).toMatchObject({ outcome: "failed", attempts: 1 });
  });

  it("for apply --local retries both, and logs every retry", async () => {
    const lines: string[] = [];
    const log = pino(loggerOptions("t", "warn"), { write: (l: string) => void lines.push(l) });
    const s = scripted([pol("web", ["g1", "g2"])], { g1: [dropped()], g2: [hung()] });
    const events: string[] = [];
    const run = await runBundle(s.bundle, {
      mode: "enforce",
      origin: "local",
      host: host({ log }),
      engine: fast,
      onEvent: (e) => void (e.type === "retry" && events.push(e.id)),
    });
    expect(run.report.resources.map((r) => [r.outcome, r.attempts])).toEqual([
      ["changed", 2],
      ["changed", 2],
    ]);
    expect(events.sort()).toEqual(["domain/g1", "domain/g2"]);
    expect(lines.filter((l) => l.includes("retrying after a transient error"))).toHaveLength(2);
  });

  it("says when the libvirt connection was replaced or is not ready at the end of the run", async () => {
    const conn = { generation: 1, state: "ready" };
    const bundle = prepareBundle([pol("web", ["g1"])], {
      build: () => [
        {
          kind: "domain",
          name: "g1",
          policy: "web",
          dependsOn: [],
          removing: false,
          async checkApply() {
            conn.generation = 2; // libvirtd restarted under the run; the client reconnected
            return { changes: [] };
          },
        },
      ],
    });
    const run = await runBundle(bundle, { mode: "enforce", origin: "agent", host: host({ hv: hv(conn) }) });
    expect(run.interrupted).toBe(true);
    conn.state = "reconnecting";
    const after = await runBundle(bundle, { mode: "dry-run", origin: "agent", host: host({ hv: hv(conn) }) });
    expect(after.interrupted).toBe(true);
    conn.state = "ready";
    const calm = prepareBundle([pol("web", ["g1"])], { build: () => [] });
    expect(
      (await runBundle(calm, { mode: "enforce", origin: "agent", host: host({ hv: hv(conn) }) })).interrupted,
    ).toBe(false);
  });
});

describe("the decisions", () => {
  it("checkOnlyReason: dry-run, then audit, then held; asks about holding only what would be repaired", () => {
    let asked = 0;
    const held = () => {
      asked += 1;
      return true;
    };
    expect(checkOnlyReason("dry-run", "enforce", held)).toBe("dry-run");
    expect(checkOnlyReason("enforce", "audit", held)).toBe("audit");
    expect(asked).toBe(0);
    expect(checkOnlyReason("enforce", "enforce", held)).toBe("held");
    expect(checkOnlyReason("enforce", "enforce", () => false)).toBeNull();
  });

  it("isTransientFor: the agent retries dropped connections only; apply --local timeouts too; nothing else", () => {
    const conn = new LibvirtConnectionError("refused", "/s", "refused");
    const timeout = new LibvirtTimeoutError("connectOpen", 1, "/s");
    const wrapped = new Error("reading domain g1", { cause: conn });
    expect([conn, wrapped, timeout, new Error("no")].map(isTransientFor("agent"))).toEqual([true, true, false, false]);
    expect([conn, wrapped, timeout, new Error("no")].map(isTransientFor("local"))).toEqual([true, true, true, false]);
  });
});
