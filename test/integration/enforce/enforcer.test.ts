import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Enforcer, type DriftRecord, type ReportRecord } from "../../../agent/enforce/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { detectDomainEnv } from "../../../kinds/index.js";
import { AgentStore } from "../../../agent/state/index.js";
import { createLogger, type DomainSpec, type ResolvedPolicy } from "../../../common/index.js";
import { virsh, virshResult } from "../../harness/virsh.js";
import { tinyDomainSpec } from "../../harness/specs.js";

// The Enforcer against the real libvirtd, no controller: drift injected with virsh must be
// seen and recorded in the outbox within 1 s, and repaired (or only reported) as the mode says.
const prefix = `vft-enf-${randomBytes(3).toString("hex")}-`;
const guest = `${prefix}g1`;
const id = `domain/${guest}`;
const dir = mkdtempSync(join(tmpdir(), "vft-enf-"));
const log = createLogger("enforce-test", process.env.VFT_LOG_LEVEL ?? "silent");
let hv: Hypervisor;
let store: AgentStore;
let enforcer: Enforcer;
const latencies: number[] = [];

function spec(): DomainSpec {
  return tinyDomainSpec(guest, { autostart: true });
}

function bundle(revision: string, generation: number, mode: "enforce" | "audit") {
  const p: ResolvedPolicy = {
    name: "enf",
    description: null,
    mode,
    priority: 0,
    source: { file: "test", line: 1, col: 1 },
    resources: { host: null, networks: [], pools: [], volumes: [], domains: [spec()] },
  };
  return { revision, generation, policies: [{ name: "enf", revision: "p1", mode, resolvedJson: JSON.stringify(p) }] };
}

interface Recorded<T> {
  eventSeq: number;
  createdAt: number;
  body: T;
}

function recorded<T>(type: "drift" | "report"): Recorded<T>[] {
  return store.outbox
    .pending(0, 1_000_000)
    .filter((e) => e.type === type)
    .map((e) => ({ eventSeq: e.eventSeq, createdAt: e.createdAt, body: JSON.parse(e.payloadJson) as T }));
}

async function waitFor<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}; drift so far: ${JSON.stringify(recorded<DriftRecord>("drift").map((d) => d.body))}`,
      );
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The first drift event recorded after `afterSeq` matching `pred`. */
function driftAfter(afterSeq: number, pred: (d: DriftRecord) => boolean): Recorded<DriftRecord> | undefined {
  return recorded<DriftRecord>("drift").find((d) => d.eventSeq > afterSeq && pred(d.body));
}

const lastSeq = () => store.outbox.stats().lastEventSeq;
const state = async () => (await virsh("domstate", guest)).trim();
const autostart = async () => /Autostart:\s+enable/.test(await virsh("dominfo", guest));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Destroys the guest; returns when virsh returned. */
async function destroy(): Promise<number> {
  await virsh("destroy", guest);
  return Date.now();
}

/**
 * Destroys the guest, waits for the drift event (recorded when the check finds it, before the
 * repair: latency is from virsh's return to that record), then for the same id resolved as
 * repaired; returns both.
 */
async function destroyAndExpectRepair(): Promise<{ detected: Recorded<DriftRecord>; repaired: Recorded<DriftRecord> }> {
  const mark = lastSeq();
  const done = await destroy();
  const detected = await waitFor("drift event", () =>
    driftAfter(mark, (d) => d.name === guest && d.fields.some((f) => f.field === "state")),
  );
  latencies.push(detected.createdAt - done);
  const repaired = await waitFor("repair", () =>
    driftAfter(
      detected.eventSeq - 1,
      (d) => d.id === detected.body.id && d.remediation === "repaired" && d.resolvedAtMs > 0,
    ),
  );
  return { detected, repaired };
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  store = AgentStore.open(dir);
  // A bundle cached by an earlier run: the enforcer must converge it at start without any controller.
  store.bundles.save({ revision: "rev-1", generation: 1, bundleJson: JSON.stringify(bundle("rev-1", 1, "enforce")) });
  enforcer = new Enforcer({
    hypervisor: () => Promise.resolve(hv),
    store,
    log,
    resyncIntervalMs: 0,
    flap: { threshold: 3, windowMs: 60_000 },
    shutdownTimeoutMs: 5_000,
    domainEnv: await detectDomainEnv(),
  });
  enforcer.start();
});

afterAll(async () => {
  await enforcer?.stop();
  await virshResult("destroy", guest);
  await virshResult("undefine", guest, "--nvram");
  await hv?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
  if (latencies.length > 0)
    console.log(`drift detection latency (virsh destroy returned → event in outbox), ms: ${latencies.join(", ")}`);
});

describe("enforcer against libvirtd", () => {
  it("converges the cached bundle at start, offline", async () => {
    const r = await waitFor("startup report", () =>
      recorded<ReportRecord>("report").find((x) => x.body.trigger === "startup"),
    );
    expect(r.body).toMatchObject({ generation: 1, bundleRevision: "rev-1", dryRun: false });
    expect(r.body.resources).toEqual([expect.objectContaining({ kind: "domain", name: guest, outcome: "changed" })]);
    expect(await state()).toBe("running");
    expect(await autostart()).toBe(true);
    expect(enforcer.revision).toBe("rev-1");
  });

  it("repairs a destroyed guest: the drift event is recorded within 1 s, then resolved as `repaired`", async () => {
    await enforcer.idle();
    const { detected, repaired } = await destroyAndExpectRepair();
    expect(detected.body).toMatchObject({
      kind: "domain",
      name: guest,
      policy: "enf",
      source: "event",
      classification: "corrective",
      remediation: "repaired",
      resolvedAtMs: 0,
    });
    expect(detected.body.fields).toContainEqual({ field: "state", desiredJson: '"running"', actualJson: '"shutoff"' });
    expect(latencies.at(-1)!).toBeLessThan(1_000);
    expect(repaired.body).toMatchObject({
      id: detected.body.id,
      remediation: "repaired",
      detail: "",
      detectedAtMs: detected.body.detectedAtMs,
    });
    expect(repaired.body.resolvedAtMs).toBeGreaterThanOrEqual(detected.body.detectedAtMs);
    expect(await state()).toBe("running");
  });

  it("notices `virsh autostart --disable` through the autostart folder and repairs it", async () => {
    await enforcer.idle();
    const mark = lastSeq();
    await virsh("autostart", "--disable", guest);
    const done = Date.now();
    const e = await waitFor("autostart drift", () =>
      driftAfter(mark, (d) => d.name === guest && d.fields.some((f) => f.field === "autostart")),
    );
    expect(e.body).toMatchObject({ remediation: "repaired", source: "event" });
    expect(e.body.fields).toContainEqual({ field: "autostart", desiredJson: "true", actualJson: "false" });
    expect(e.createdAt - done).toBeLessThan(1_000);
    await waitFor("autostart repaired", () =>
      driftAfter(e.eventSeq - 1, (d) => d.id === e.body.id && d.resolvedAtMs > 0),
    );
    expect(await autostart()).toBe(true);
  });

  it("engages the flap guard on the 4th quick destroy: `suppressed`, guest left off; acknowledging repairs it", async () => {
    await enforcer.idle();
    enforcer.acknowledgeFlap(id); // forget the repairs of the tests above
    await enforcer.idle();
    for (let i = 0; i < 3; i++) {
      await destroyAndExpectRepair();
      await enforcer.idle();
      expect(await state()).toBe("running");
    }
    const mark = lastSeq();
    await destroy();
    const s = await waitFor("suppressed event", () =>
      driftAfter(mark, (d) => d.name === guest && d.remediation === "suppressed"),
    );
    expect(s.body.resolvedAtMs).toBe(0);
    expect(s.body.detail).toMatch(/repaired 3 times within 60 s/);
    await sleep(1_000);
    await enforcer.idle();
    expect(await state()).toBe("shut off");
    expect(driftAfter(s.eventSeq, (d) => d.name === guest)).toBeUndefined(); // one event, not one per check

    const before = lastSeq();
    expect(enforcer.acknowledgeFlap(id)).toEqual([id]);
    const r = await waitFor("repair after acknowledgement", () =>
      driftAfter(before, (d) => d.name === guest && d.remediation === "repaired" && d.resolvedAtMs > 0),
    );
    expect(r.body.id).toBe(s.body.id);
    expect(r.body.resolvedAtMs).toBeGreaterThan(0);
    expect(await state()).toBe("running");
  });

  it("in audit mode only reports: the guest stays off, the event says `reported`, and is resolved when it is back", async () => {
    await enforcer.idle();
    expect(enforcer.setBundle(bundle("rev-2", 2, "audit"))).toEqual({ accepted: true, changed: true });
    await enforcer.idle();
    const bundleReport = recorded<ReportRecord>("report").findLast((x) => x.body.trigger === "bundle");
    expect(bundleReport?.body).toMatchObject({ generation: 2, bundleRevision: "rev-2" });
    const mark = lastSeq();
    await destroy();
    const e = await waitFor("reported event", () =>
      driftAfter(mark, (d) => d.name === guest && d.remediation === "reported"),
    );
    expect(e.body).toMatchObject({ resolvedAtMs: 0, classification: "corrective", source: "event" });
    await sleep(1_000);
    await enforcer.idle();
    expect(await state()).toBe("shut off");

    await virsh("start", guest);
    const resolved = await waitFor("resolution", () =>
      driftAfter(e.eventSeq, (d) => d.id === e.body.id && d.resolvedAtMs > 0),
    );
    expect(resolved.body.remediation).toBe("reported");
  });

  it("rejects a bad bundle and keeps enforcing the previous one", async () => {
    const r = enforcer.setBundle({
      revision: "rev-bad",
      generation: 3,
      policies: [{ name: "enf", revision: "x", mode: "enforce", resolvedJson: "{nope" }],
    });
    expect(r.accepted).toBe(false);
    expect(enforcer.revision).toBe("rev-2");
    expect(store.bundles.load()?.revision).toBe("rev-2");
  });
});
