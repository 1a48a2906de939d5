import { DomainPausedReason, LibvirtTimeoutError, type DomainStateName } from "../../libvirt/index.js";

export type PolicyDomainState = "running" | "shutoff" | "paused";

/** A guest's state as libvirt reports it (`Hypervisor.domainState()` returns one). */
export interface ObservedDomainState {
  state: DomainStateName | "unknown";
  /** virDomain<State>Reason for `state`. */
  reason: number;
}

/**
 * Paused reasons that mean libvirt is in the middle of an operation on the guest (its own or
 * another client's) and moves the guest on by itself when the operation ends: a start
 * (`paused (starting up)` until the CPUs run), a save, an offline core dump or migration, a
 * snapshot, a post-copy migration's source, the end of a guest shutdown. Resuming or changing
 * such a guest races that operation (a resume fails once the start completes), so it is
 * waited for instead. The value describes the operation.
 */
const BUSY_PAUSED_REASONS: ReadonlyMap<number, string> = new Map([
  [DomainPausedReason.STARTING_UP, "starting up"],
  [DomainPausedReason.MIGRATION, "migrating"],
  [DomainPausedReason.SAVE, "being saved"],
  [DomainPausedReason.DUMP, "dumping core"],
  [DomainPausedReason.SNAPSHOT, "being snapshotted"],
  [DomainPausedReason.SHUTTING_DOWN, "shutting down"],
  [DomainPausedReason.POSTCOPY, "in post-copy migration"],
]);

/**
 * Maps libvirt's domain state to the policy's vocabulary. A guest shutting down still runs; a
 * guest libvirt is starting (`paused (starting up)`, pass the reason) already runs too — its
 * start completes by itself, so it is no "paused" drift. Other paused reasons stay paused.
 */
export function policyState(s: DomainStateName | "unknown", reason?: number): PolicyDomainState {
  switch (s) {
    case "running":
    case "blocked":
    case "shutdown":
      return "running";
    case "paused":
      return reason === DomainPausedReason.STARTING_UP ? "running" : "paused";
    case "pmsuspended":
      return "paused";
    default:
      return "shutoff";
  }
}

/** What libvirt is in the middle of doing to the guest (e.g. `starting up`), or null when its state is stable. */
export function busyOperation(s: ObservedDomainState): string | null {
  return s.state === "paused" ? (BUSY_PAUSED_REASONS.get(s.reason) ?? null) : null;
}

/** One libvirt call that moves a guest between policy states. */
export type DomainStateStep = "start" | "resume" | "suspend" | "shutdown";

export type DomainStatePlan =
  /** Call these in order (none: the guest is where it should be). */
  | { kind: "steps"; steps: DomainStateStep[] }
  /** libvirt is mid-operation (`operation`): wait until it ends, then plan again. */
  | { kind: "wait"; operation: string }
  /** The state cannot be reached without an operator; `why` says what to do. */
  | { kind: "refuse"; why: string };

/** Decides how to get a guest from its observed state to `want`: never touches a guest that libvirt is busy with. */
export function planStateChange(now: ObservedDomainState, want: PolicyDomainState): DomainStatePlan {
  const operation = busyOperation(now);
  if (operation !== null) return { kind: "wait", operation };
  const from = policyState(now.state, now.reason);
  if (from === want) return { kind: "steps", steps: [] };
  if (want === "shutoff") return { kind: "steps", steps: ["shutdown"] };
  if (now.state === "paused" && now.reason === DomainPausedReason.POSTCOPY_FAILED) {
    return {
      kind: "refuse",
      why: "paused after a failed post-copy migration: its memory is split between two hosts and resuming it here is unsafe; recover the migration (virsh migrate --postcopy-resume) or destroy the guest",
    };
  }
  const steps: DomainStateStep[] = [];
  if (from === "shutoff") steps.push("start");
  if (want === "paused") steps.push("suspend");
  else if (from === "paused") steps.push("resume");
  return { kind: "steps", steps };
}

/** How long a guest libvirt is busy with (see `busyOperation`) is waited for before giving up. */
export const DOMAIN_BUSY_WAIT_MS = 60_000;
export const DOMAIN_BUSY_POLL_MS = 500;

/**
 * A guest stayed busy (libvirt mid-operation on it) for longer than the wait, or libvirt could
 * not lock it for a state change. Transient: it is a timeout (`isTimeout` holds, code
 * `TIMEOUT`), so callers that retry timeouts retry it; nothing was changed on the guest.
 */
export class DomainBusyError extends LibvirtTimeoutError {
  readonly domain: string;

  constructor(domain: string, message: string, waitedMs: number, options?: { cause?: unknown }) {
    super("DOMAIN_GET_STATE", waitedMs, "");
    this.message = message;
    this.domain = domain;
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  static stillBusy(domain: string, s: ObservedDomainState, waitedMs: number): DomainBusyError {
    const what = busyOperation(s) ?? `${s.state} (reason ${s.reason})`;
    return new DomainBusyError(
      domain,
      `domain ${domain} is still paused (${what}) after waiting ${waitedMs} ms: libvirt is in the middle of an operation on it, so it was left alone (not resumed or changed); try again once the operation has finished`,
      waitedMs,
    );
  }

  static locked(domain: string, cause: unknown): DomainBusyError {
    return new DomainBusyError(
      domain,
      `domain ${domain} is locked by another libvirt operation; its state was not changed, try again once that has finished`,
      0,
      { cause },
    );
  }
}

export interface SettleOptions {
  /** Give up after this long (default DOMAIN_BUSY_WAIT_MS). */
  timeoutMs?: number;
  /** Poll interval (default DOMAIN_BUSY_POLL_MS). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls `read` until the guest is no longer busy (see `busyOperation`) and returns that
 * state; `first` is a state already read. Throws `DomainBusyError` when it is still busy after
 * the timeout, the signal's reason when aborted, and whatever `read` throws (a guest that
 * vanished meanwhile is a not-found error).
 */
export async function waitUntilSettled(
  domain: string,
  read: () => Promise<ObservedDomainState>,
  first: ObservedDomainState | undefined,
  o: SettleOptions = {},
): Promise<ObservedDomainState> {
  const timeoutMs = o.timeoutMs ?? DOMAIN_BUSY_WAIT_MS;
  const intervalMs = o.intervalMs ?? DOMAIN_BUSY_POLL_MS;
  const started = Date.now();
  let s = first ?? (await read());
  for (;;) {
    if (busyOperation(s) === null) return s;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw DomainBusyError.stillBusy(domain, s, waited);
    await sleep(Math.min(intervalMs, timeoutMs - waited), o.signal);
    s = await read();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const abortError = () => (signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
