/**
 * A guest libvirt is mid-operation on (e.g. `paused (starting up)` while a start that timed out
 * on our side still runs) is waited for, never resumed: the classification of paused reasons,
 * the wait-vs-resume decision, the bounded wait, and DomainResource driving them with a
 * scripted hypervisor.
 */
import { describe, expect, it } from "vitest";
import { silentLogger, type DomainSpec } from "../../../common/index.js";
import {
  DomainPausedReason as R,
  ErrorCode,
  isTimeout,
  LibvirtError,
  type Hypervisor,
} from "../../../libvirt/index.js";
import { DomainResource, domainSpecHash } from "../../../kinds/domain/resource.js";
import {
  busyOperation,
  DomainBusyError,
  planStateChange,
  policyState,
  waitUntilSettled,
  type ObservedDomainState,
} from "../../../kinds/domain/state.js";
import { buildDomainXml } from "../../../kinds/index.js";
import { tinyDomain } from "../xml/specs.js";

const paused = (reason: number): ObservedDomainState => ({ state: "paused", reason });
const running: ObservedDomainState = { state: "running", reason: 1 };
const shutoff: ObservedDomainState = { state: "shutoff", reason: 1 };

describe("paused reasons (virDomainPausedReason)", () => {
  it("has libvirt's numbering", () => {
    expect([R.UNKNOWN, R.USER, R.MIGRATION, R.SAVE, R.DUMP, R.IOERROR, R.WATCHDOG, R.FROM_SNAPSHOT]).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    expect([R.SHUTTING_DOWN, R.SNAPSHOT, R.CRASHED, R.STARTING_UP, R.POSTCOPY, R.POSTCOPY_FAILED, R.API_ERROR]).toEqual(
      [8, 9, 10, 11, 12, 13, 14],
    );
  });

  it("busy = libvirt is mid-operation and moves the guest on by itself", () => {
    const busy = Array.from({ length: 16 }, (_, r) => r).filter((r) => busyOperation(paused(r)) !== null);
    expect(busy).toEqual([R.MIGRATION, R.SAVE, R.DUMP, R.SHUTTING_DOWN, R.SNAPSHOT, R.STARTING_UP, R.POSTCOPY]);
    expect(busyOperation(paused(R.STARTING_UP))).toBe("starting up");
    // the reason only counts for a paused guest (running reason 11 does not exist, 2 is "migrated")
    expect(busyOperation({ state: "running", reason: 2 })).toBeNull();
    expect(busyOperation({ state: "shutoff", reason: 11 })).toBeNull();
  });

  it("a guest starting up is running in the policy's vocabulary; other paused reasons stay paused", () => {
    expect(policyState("paused", R.STARTING_UP)).toBe("running");
    expect(policyState("paused", R.USER)).toBe("paused");
    expect(policyState("paused", R.SAVE)).toBe("paused");
    expect(policyState("paused")).toBe("paused");
    expect(policyState("pmsuspended", R.STARTING_UP)).toBe("paused");
  });
});

describe("planStateChange: wait vs resume", () => {
  it("waits for every busy reason, whatever the wanted state", () => {
    for (const r of [R.STARTING_UP, R.MIGRATION, R.SAVE, R.DUMP, R.SNAPSHOT, R.SHUTTING_DOWN, R.POSTCOPY]) {
      for (const want of ["running", "paused", "shutoff"] as const) {
        expect(planStateChange(paused(r), want).kind, `reason ${r} → ${want}`).toBe("wait");
      }
    }
  });

  it("resumes a guest paused for a stable reason", () => {
    for (const r of [R.UNKNOWN, R.USER, R.IOERROR, R.WATCHDOG, R.FROM_SNAPSHOT, R.CRASHED, R.API_ERROR]) {
      expect(planStateChange(paused(r), "running")).toEqual({ kind: "steps", steps: ["resume"] });
      expect(planStateChange(paused(r), "paused")).toEqual({ kind: "steps", steps: [] });
      expect(planStateChange(paused(r), "shutoff")).toEqual({ kind: "steps", steps: ["shutdown"] });
    }
  });

  it("refuses to resume a guest paused after a failed post-copy migration", () => {
    const plan = planStateChange(paused(R.POSTCOPY_FAILED), "running");
    expect(plan.kind).toBe("refuse");
    expect(plan.kind === "refuse" && plan.why).toMatch(/post-copy/);
    expect(planStateChange(paused(R.POSTCOPY_FAILED), "paused")).toEqual({ kind: "steps", steps: [] });
  });

  it("plans the ordinary transitions", () => {
    expect(planStateChange(shutoff, "running")).toEqual({ kind: "steps", steps: ["start"] });
    expect(planStateChange(shutoff, "paused")).toEqual({ kind: "steps", steps: ["start", "suspend"] });
    expect(planStateChange(running, "paused")).toEqual({ kind: "steps", steps: ["suspend"] });
    expect(planStateChange(running, "shutoff")).toEqual({ kind: "steps", steps: ["shutdown"] });
    expect(planStateChange(running, "running")).toEqual({ kind: "steps", steps: [] });
    expect(planStateChange({ state: "shutdown", reason: 1 }, "running")).toEqual({ kind: "steps", steps: [] });
  });
});

describe("waitUntilSettled", () => {
  const script = (states: ObservedDomainState[]) => {
    const reads: ObservedDomainState[] = [];
    const read = async () => {
      const s = states[Math.min(reads.length, states.length - 1)]!;
      reads.push(s);
      return s;
    };
    return { read, reads };
  };

  it("polls until the guest leaves the busy state and returns that state", async () => {
    const { read, reads } = script([paused(R.STARTING_UP), paused(R.STARTING_UP), running]);
    await expect(
      waitUntilSettled("g", read, paused(R.STARTING_UP), { intervalMs: 1, timeoutMs: 5_000 }),
    ).resolves.toEqual(running);
    expect(reads).toHaveLength(3);
  });

  it("returns a settled first state without reading", async () => {
    const { read, reads } = script([running]);
    await expect(waitUntilSettled("g", read, paused(R.USER))).resolves.toEqual(paused(R.USER));
    expect(reads).toHaveLength(0);
  });

  it("gives up after the bound with a transient (timeout) error that names the operation", async () => {
    const { read, reads } = script([paused(R.STARTING_UP)]);
    const err = await waitUntilSettled("g1", read, undefined, { intervalMs: 5, timeoutMs: 40 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainBusyError);
    expect(isTimeout(err)).toBe(true);
    expect((err as Error).message).toMatch(/domain g1 is still paused \(starting up\) after waiting \d+ ms/);
    expect((err as Error).message).toMatch(/not resumed/);
    expect(reads.length).toBeGreaterThan(1);
  });

  it("stops waiting when aborted", async () => {
    const { read } = script([paused(R.SAVE)]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("engine timeout")), 20);
    await expect(
      waitUntilSettled("g", read, undefined, { intervalMs: 10_000, timeoutMs: 60_000, signal: ac.signal }),
    ).rejects.toThrow("engine timeout");
  });
});

/** A hypervisor that holds one defined guest matching `spec`, with scripted domainState answers. */
function fakeHv(spec: DomainSpec, states: ObservedDomainState[], o: { startError?: Error; resumeError?: Error } = {}) {
  const calls: string[] = [];
  let reads = 0;
  const xml = buildDomainXml(spec, {
    domainType: "kvm",
    diskPaths: new Map(),
    cdromPaths: new Map(),
    specHash: domainSpecHash(spec),
    policy: "p",
    uuid: "6f1d0f3e-1111-4222-8333-444455556666",
  });
  const hv = {
    domain: async () => ({ name: spec.name }),
    domainXml: async () => xml,
    // what virDomainGetMetadata answers for our namespace: the element, unprefixed, no xmlns
    domainMetadata: async () => `<virtfleet><specHash>${domainSpecHash(spec)}</specHash><policy>p</policy></virtfleet>`,
    domainState: async () => {
      const s = states[Math.min(reads++, states.length - 1)]!;
      calls.push(`state:${s.state}(${s.reason})`);
      return { ...s, stateCode: 0 };
    },
    domainAutostart: async () => spec.autostart,
    startDomain: async () => {
      calls.push("start");
      if (o.startError) throw o.startError;
    },
    resumeDomain: async () => {
      calls.push("resume");
      if (o.resumeError) throw o.resumeError;
    },
    suspendDomain: async () => void calls.push("suspend"),
    destroyDomain: async () => void calls.push("destroy"),
    shutdownDomain: async () => void calls.push("shutdown"),
    domainIsActive: async () => false,
    undefineDomain: async () => void calls.push("undefine"),
  };
  return { hv: hv as unknown as Hypervisor, calls };
}

function libvirtError(code: number, message: string): LibvirtError {
  return new LibvirtError(
    { code, domain: 10, message, level: 2, str1: null, str2: null, str3: null, int1: -1, int2: -1 },
    "DOMAIN_CREATE_WITH_FLAGS",
  );
}

describe("DomainResource with a guest libvirt is busy with", () => {
  const spec: DomainSpec = { ...tinyDomain(), state: "running" };
  const resource = (hv: Hypervisor, wait = { timeoutMs: 2_000, intervalMs: 1 }) =>
    new DomainResource(
      spec,
      "p",
      [],
      { hv, log: silentLogger(), shutdownTimeoutMs: 1_000 },
      { domainType: "kvm" },
      wait,
    );
  const signal = new AbortController().signal;

  it("retry of a timed-out start: waits while the guest starts up, then finds it running and does not resume it", async () => {
    const { hv, calls } = fakeHv(spec, [paused(R.STARTING_UP), paused(R.STARTING_UP), running]);
    const r = await resource(hv).checkApply(signal, true);
    expect(calls).not.toContain("resume");
    expect(calls).not.toContain("start");
    expect(r.changes).toEqual([]);
  });

  it("resumes a guest paused by a user (the wait is only for busy reasons)", async () => {
    const { hv, calls } = fakeHv(spec, [paused(R.USER)]);
    const r = await resource(hv).checkApply(signal, true);
    expect(calls.filter((c) => c === "resume")).toHaveLength(1);
    expect(r.changes).toEqual([{ field: "state", from: "paused", to: "running", disruption: "live" }]);
  });

  it("a guest that stays busy past the bound is left alone with a transient error", async () => {
    const { hv, calls } = fakeHv(spec, [paused(R.SNAPSHOT)]);
    const err = await resource(hv, { timeoutMs: 30, intervalMs: 5 })
      .checkApply(signal, true)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainBusyError);
    expect(isTimeout(err)).toBe(true);
    expect((err as Error).message).toMatch(/being snapshotted/);
    expect(calls.filter((c) => !c.startsWith("state:"))).toEqual([]);
  });

  it("a start refused because the guest is already running (the retried start finished) is no failure", async () => {
    const { hv, calls } = fakeHv(spec, [shutoff, running], {
      startError: libvirtError(
        ErrorCode.OPERATION_INVALID,
        "Requested operation is not valid: domain is already running",
      ),
    });
    await expect(resource(hv).checkApply(signal, true)).resolves.toBeDefined();
    expect(calls).toEqual(["state:shutoff(1)", "start", "state:running(1)"]);
  });

  it("a start refused while the guest is starting up waits for the start to finish", async () => {
    const { hv, calls } = fakeHv(spec, [shutoff, paused(R.STARTING_UP), running], {
      startError: libvirtError(ErrorCode.OPERATION_INVALID, "domain is already running"),
    });
    await expect(resource(hv).checkApply(signal, true)).resolves.toBeDefined();
    expect(calls).not.toContain("resume");
    expect(calls.filter((c) => c === "start")).toHaveLength(1);
  });

  it("a refusal that persists after re-reading the state still fails", async () => {
    const { hv } = fakeHv(spec, [paused(R.USER)], {
      resumeError: libvirtError(ErrorCode.OPERATION_INVALID, "domain is pmsuspended"),
    });
    await expect(resource(hv).checkApply(signal, true)).rejects.toThrow(/pmsuspended/);
  });

  it("libvirt's state-change lock timeout becomes the transient busy error", async () => {
    const { hv } = fakeHv(spec, [shutoff], {
      startError: libvirtError(
        ErrorCode.OPERATION_TIMEOUT,
        "Timed out during operation: cannot acquire state change lock",
      ),
    });
    const err = await resource(hv)
      .checkApply(signal, true)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainBusyError);
    expect(isTimeout(err)).toBe(true);
    expect((err as Error).message).toMatch(/locked by another libvirt operation/);
  });

  it("a dry-run reports no paused drift for a guest starting up, and notes the operation", async () => {
    const { hv } = fakeHv(spec, [paused(R.STARTING_UP)]);
    const r = await resource(hv).checkApply(signal, false);
    expect(r.changes).toEqual([]);
    expect(r.notes?.join(" ")).toMatch(/paused: starting up/);
  });

  it("a dry-run reports a guest paused for a save as paused (the next check after the save sees its real state)", async () => {
    const { hv } = fakeHv(spec, [paused(R.SAVE)]);
    const r = await resource(hv).checkApply(signal, false);
    expect(r.changes).toEqual([{ field: "state", from: "paused", to: "running", disruption: "live" }]);
    expect(r.notes?.join(" ")).toMatch(/being saved/);
  });

  it("removal waits for the operation before forcing the guest off", async () => {
    const { hv, calls } = fakeHv({ ...spec, state: "absent" }, [paused(R.STARTING_UP), running]);
    const absent = new DomainResource(
      { ...spec, state: "absent" },
      "p",
      [],
      { hv, log: silentLogger(), shutdownTimeoutMs: 1_000 },
      { domainType: "kvm" },
      { timeoutMs: 2_000, intervalMs: 1 },
    );
    const r = await absent.checkApply(signal, true);
    expect(calls).toEqual(["state:paused(11)", "state:running(1)", "destroy", "undefine"]);
    expect(r.changes).toEqual([{ field: "state", from: "running", to: "absent", disruption: "live" }]);
  });
});
