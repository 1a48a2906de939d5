import { type Ctx, log, sendNew } from "./context.js";
import { RolloutStateError } from "./errors.js";
import { checkRollbackDone, expireRollbackOffline, failHost, startRollback } from "./failure.js";
import { activeStage, forwardFailures, goodRevision, isActive, isRollingBack } from "./queries.js";
import { advance, expireOffline } from "./stages.js";
import type { Rollout, RolloutEvent, RolloutHost, StepResult } from "./types.js";

/**
 * The rollout state machine: returns the next state and the effects the wiring performs,
 * in order. Pure: `rollout` is not modified. Host events for unknown hosts or a finished
 * rollout change nothing; an operator command that does not apply to the current state
 * (e.g. resume while running) throws RolloutStateError.
 */
export function step(rollout: Rollout, event: RolloutEvent): StepResult {
  return stepAll(rollout, [event]);
}

/**
 * Applies `events` in order on one copy of `rollout` (a 10,000-host rollout is cloned once
 * per batch, not per event); effects concatenated. An event that does not apply (apply()
 * throws before changing anything) goes to `onError` and is skipped; without `onError` it
 * is thrown.
 */
export function stepAll(
  rollout: Rollout,
  events: readonly RolloutEvent[],
  onError?: (event: RolloutEvent, err: unknown) => void,
): StepResult {
  const c: Ctx = { r: structuredClone(rollout), fx: [] };
  for (const e of events) {
    const at = e.type === "start" || e.type === "tick" ? e.now : e.at;
    if (e.type !== "hostObserved") settle(c);
    try {
      apply(c, e, at);
    } catch (err) {
      if (!onError) throw err;
      onError(e, err);
      continue;
    }
    c.r.updatedAt = Math.max(c.r.updatedAt, at);
  }
  settle(c);
  return { rollout: c.r, effects: c.fx };
}

/**
 * The advance() a run of hostObserved events deferred (see observed()), at the time of the
 * last host that converged: the result equals advancing after each of them, because until a
 * stage is done the next one's hosts have no expected generation and ignore hostObserved.
 */
function settle(c: Ctx): void {
  if (c.advanceAt === undefined) return;
  const at = c.advanceAt;
  c.advanceAt = undefined;
  advance(c, at);
}

/** Contract: throws (RolloutStateError) only before changing `c`, so stepAll can skip the event. */
function apply(c: Ctx, e: RolloutEvent, at: number): void {
  const { r } = c;
  switch (e.type) {
    case "start":
      if (r.state !== "pending")
        throw new RolloutStateError(`rollout of ${r.policy} is ${r.state}, it can only start when pending`);
      r.state = "running";
      r.startedAt = at;
      log(c, "info", `rollout of ${r.policy} started: ${r.fromRevision ?? "no revision"} → ${r.toRevision}`);
      return advance(c, at);
    case "planRecorded":
    case "planSkipped": {
      const plan = r.stages[0];
      if (!plan || plan.state !== "waiting" || !isActive(r)) return;
      plan.state = e.type === "planRecorded" ? "succeeded" : "skipped";
      plan.finishedAt = at;
      if (e.type === "planRecorded") {
        r.plan = structuredClone(e.result) ?? null;
        c.fx.push({ type: "stageSucceeded", stage: 0 });
      } else log(c, "info", "plan stage skipped", { stage: 0 });
      return advance(c, at);
    }
    case "delivered":
      return delivered(c, e.host, e.generation);
    case "hostObserved":
      return h0(c, e.host)?.phase.startsWith("rollback")
        ? observed(c, e.host, e.generation, e.returned?.converged ?? e.converged, at, e.returned?.reason ?? e.reason)
        : observed(c, e.host, e.generation, e.converged, at, e.reason);
    case "hostDrift":
    case "hostFailure":
      return reported(c, e.type, e.host, at, e.reason);
    case "hostOnline":
      return online(c, e.host, at);
    case "hostOffline":
      return offline(c, e.host, at);
    case "hostEnrolled":
      return enrolled(c, e.host, e.online, at);
    case "hostRemoved":
      return removed(c, e.host, at);
    case "tick":
      if (isRollingBack(r)) return expireRollbackOffline(c, at);
      if (r.state !== "running") return;
      expireOffline(c, at);
      return advance(c, at);
    case "pause":
      if (r.state === "paused") return log(c, "info", "rollout already paused");
      if (r.state !== "running" && r.state !== "pending")
        throw new RolloutStateError(
          `rollout of ${r.policy} is ${r.state}; only a pending or running rollout can pause`,
        );
      r.state = "paused";
      r.reason = e.reason ?? "paused by operator";
      return log(c, "info", `rollout paused: ${r.reason}`);
    case "resume":
      return resume(c, at);
    case "abort":
    case "supersede": {
      if (!isActive(r)) {
        if (e.type === "supersede") return;
        throw new RolloutStateError(`rollout of ${r.policy} is ${r.state} and has already ended; nothing to abort`);
      }
      r.state = "aborted";
      r.finishedAt = at;
      r.reason =
        e.type === "supersede" ? `superseded by revision ${e.byRevision}` : (e.reason ?? "aborted by operator");
      if (r.rollback && r.rollback.finishedAt === null) r.rollback.finishedAt = at;
      abortStageInProgress(c, at);
      return log(c, "warn", `rollout aborted: ${r.reason}`);
    }
    case "rollback":
      return operatorRollback(c, e.reason ?? "rolled back by operator", at);
  }
}

/** The stage waiting or soaking when the rollout ends by abort stops there: `aborted`, its clock and soak end. */
function abortStageInProgress(c: Ctx, at: number): void {
  for (const s of c.r.stages) {
    if (s.state !== "waiting" && s.state !== "soaking") continue;
    s.state = "aborted";
    s.finishedAt = at;
    s.soakUntil = null;
  }
}

const h0 = (c: Ctx, host: string): RolloutHost | undefined => c.r.hosts[host];

function delivered(c: Ctx, host: string, generation: number): void {
  const h = c.r.hosts[host];
  if (!h || h.phase === "pending" || h.phase === "offline" || h.phase === "rolledback") return;
  if (h.phase === "skipped" && !h.receivedNew) return;
  h.expectGeneration = Math.max(h.expectGeneration ?? 0, generation);
}

function observed(
  c: Ctx,
  host: string,
  generation: number,
  outcome: "ok" | "failed",
  at: number,
  reason?: string,
): void {
  const { r } = c;
  const h = r.hosts[host];
  if (!h || h.expectGeneration === null || generation < h.expectGeneration) return;
  if (h.phase === "rollback-sent" || h.phase === "rollback-failed") {
    if (!r.rollback) return;
    h.phase = outcome === "ok" ? "rolledback" : "rollback-failed";
    if (outcome === "failed") {
      h.reason = reason ?? "failed to converge the previous revision";
      log(c, "warn", `rollback failed: ${h.reason}`, { host });
    }
    return checkRollbackDone(c, at);
  }
  if (!forwardLive(r) || !inActiveStage(c, h)) return;
  if (h.phase === "sent" && outcome === "ok") {
    h.phase = "converged";
    h.offlineSince = null;
    // Whether the stage is done is checked once per run of hostObserved events (thousands of
    // hosts converge in one batch; checking the whole stage after each would be quadratic).
    c.advanceAt = at;
    return;
  }
  if ((h.phase === "sent" || h.phase === "converged") && outcome === "failed") {
    failHost(c, h, reason ?? "failed to converge the new revision", at);
    return advance(c, at);
  }
}

function reported(c: Ctx, kind: "hostDrift" | "hostFailure", host: string, at: number, reason?: string): void {
  const h = c.r.hosts[host];
  if (!h || !forwardLive(c.r) || !inActiveStage(c, h)) return;
  if (h.phase !== "converged" && !(kind === "hostFailure" && h.phase === "sent")) return;
  failHost(c, h, reason ?? (kind === "hostDrift" ? "drift during its stage" : "failure during its stage"), at);
  advance(c, at);
}

function online(c: Ctx, host: string, at: number): void {
  const { r } = c;
  const h = r.hosts[host];
  if (!h) return;
  h.online = true;
  h.offlineSince = null;
  if (h.phase === "offline" && r.state === "running" && inActiveStage(c, h)) {
    sendNew(c, h);
    advance(c, at);
  }
}

function offline(c: Ctx, host: string, at: number): void {
  const h = c.r.hosts[host];
  if (!h) return;
  h.online = false;
  if (h.phase === "rollback-sent") h.offlineSince = at;
  if ((h.phase === "sent" || h.phase === "offline") && inActiveStage(c, h)) h.offlineSince = at;
}

/**
 * A host that enrolled after creation stays outside the stages and holds goodRevision()
 * (sent now when there is one); it is sent the new revision when the rollout succeeds and
 * rolled back with the others. Once the rollout ended it is not recorded: revisionFor()
 * already answers goodRevision() for hosts the rollout does not know.
 */
function enrolled(c: Ctx, host: string, isOnline: boolean, at: number): void {
  const { r } = c;
  if (r.hosts[host]) return isOnline ? online(c, host, at) : offline(c, host, at);
  if (!isActive(r)) return;
  const good = goodRevision(r);
  r.hosts[host] = {
    name: host,
    stage: -1,
    phase: "skipped",
    online: isOnline,
    baseline: good,
    receivedNew: good === r.toRevision,
    expectGeneration: null,
    offlineSince: null,
    failedAt: null,
    reason: "enrolled during the rollout",
  };
  r.lateHosts.push(host);
  log(c, "info", `host enrolled during the rollout; it holds the good revision ${good ?? "(none)"}`, { host });
  if (good !== null) c.fx.push({ type: "sendRevision", host, revision: good });
}

/**
 * A removed host is forgotten by the rollout: out of its stage (which may then be done), its
 * failures no longer count, and a rollback no longer waits for it.
 */
function removed(c: Ctx, host: string, at: number): void {
  const { r } = c;
  if (!r.hosts[host] || !isActive(r)) return;
  delete r.hosts[host];
  for (const s of r.stages) s.hosts = s.hosts.filter((h) => h !== host);
  r.lateHosts = r.lateHosts.filter((h) => h !== host);
  r.acceptedFailures = Math.min(r.acceptedFailures, forwardFailures(r));
  log(c, "info", "host removed from the fleet; it leaves the rollout", { host });
  if (r.rollback && r.rollback.finishedAt === null) return checkRollbackDone(c, at);
  if (r.state === "running") advance(c, at);
}

function resume(c: Ctx, at: number): void {
  const { r } = c;
  if (r.state !== "paused")
    throw new RolloutStateError(`rollout of ${r.policy} is ${r.state}; only a paused rollout can resume`);
  r.state = r.startedAt === null ? "pending" : "running";
  r.reason = null;
  r.acceptedFailures = forwardFailures(r);
  if (r.state === "pending") return log(c, "info", "rollout resumed (not started yet)");
  log(c, "info", `rollout resumed${r.acceptedFailures > 0 ? `; ${r.acceptedFailures} failed host(s) accepted` : ""}`);
  const failed = r.stages.find((s) => s.state === "failed");
  if (failed) {
    failed.state = failed.soakUntil !== null ? "soaking" : "waiting";
    failed.finishedAt = null;
  }
  const s = activeStage(r);
  if (s) {
    for (const name of s.hosts) {
      const h = r.hosts[name] as RolloutHost;
      if (h.phase === "offline" && h.online) sendNew(c, h);
      else if (!h.online && (h.phase === "offline" || h.phase === "sent")) h.offlineSince = at;
    }
  }
  advance(c, at);
}

function operatorRollback(c: Ctx, reason: string, at: number): void {
  const { r } = c;
  if (r.state === "pending") {
    r.state = "rolledback";
    r.reason = reason;
    r.finishedAt = at;
    r.rollback = { by: "operator", startedAt: at, finishedAt: at };
    return log(c, "info", "rollout rolled back before it started; no host received the new revision");
  }
  if (r.state === "running" || r.state === "paused" || r.state === "succeeded")
    return startRollback(c, "operator", reason, at);
  if (r.state === "failed" && r.rollback && !isRollingBack(r)) {
    r.rollback.finishedAt = null;
    r.finishedAt = null;
    for (const h of Object.values(r.hosts)) {
      if (h.phase !== "rollback-failed") continue;
      h.phase = "rollback-sent";
      h.expectGeneration = null;
      h.offlineSince = h.online ? null : at;
      c.fx.push({ type: "rollbackHost", host: h.name, previousRevision: r.fromRevision });
    }
    log(c, "info", "retrying the rollback on the hosts that failed it");
    return checkRollbackDone(c, at);
  }
  throw new RolloutStateError(
    `rollout of ${r.policy} is ${r.state}; it cannot be rolled back${isRollingBack(r) ? " again while rolling back" : ""}`,
  );
}

/** Forward progress is tracked while running or paused (failures still count while paused). */
function forwardLive(r: Rollout): boolean {
  return r.state === "running" || r.state === "paused";
}

function inActiveStage(c: Ctx, h: RolloutHost): boolean {
  return activeStage(c.r)?.index === h.stage;
}
