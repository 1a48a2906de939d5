import { type Ctx, log } from "./context.js";
import { activeStage, countedFailures, failedHosts } from "./queries.js";
import type { RolloutHost } from "./types.js";

/** Marks `h` failed (forward) and applies onFailure once failures exceed maxFailures. */
export function failHost(c: Ctx, h: RolloutHost, reason: string, at: number): void {
  h.phase = "failed";
  h.failedAt = at;
  h.reason = reason;
  h.offlineSince = null;
  log(c, "warn", `host failed: ${reason}`, { host: h.name, stage: h.stage });
  checkBudget(c, at);
}

function checkBudget(c: Ctx, at: number): void {
  const { r } = c;
  if (r.state !== "running" && r.state !== "paused") return;
  // Paused with no stage in progress: the budget already stopped it (a later failure is recorded on its host only).
  if (r.state === "paused" && !activeStage(r)) return;
  const counted = countedFailures(r);
  if (counted <= r.settings.maxFailures) return;
  const reason = `${counted} host(s) failed, more than maxFailures ${r.settings.maxFailures}: ${someHosts(failedHosts(r))}`;
  const stage = activeStage(r);
  if (stage) {
    stage.state = "failed";
    stage.finishedAt = at;
  }
  c.fx.push({ type: "rolloutFailed", reason });
  if (r.settings.onFailure === "rollback") {
    startRollback(c, "failure", reason, at);
  } else {
    r.state = "paused";
    r.reason = reason;
    log(c, "warn", `rollout paused: ${reason}; resume to accept the failures and continue, or roll back`);
  }
}

/**
 * Sends every host that received the new revision the previous good one (state failed
 * until they all report it converged, then rolledback). The active stage fails.
 */
export function startRollback(c: Ctx, by: "operator" | "failure", reason: string, at: number): void {
  const { r } = c;
  const stage = activeStage(r);
  if (stage) {
    stage.state = "failed";
    stage.finishedAt = at;
  }
  r.state = "failed";
  r.reason = reason;
  r.rollback = { by, startedAt: at, finishedAt: null };
  log(c, "warn", `rolling back to ${r.fromRevision ?? "no revision"}: ${reason}`);
  for (const h of Object.values(r.hosts).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // Also hosts still holding another revision (a superseded rollout's): all return to `from`.
    if (!h.receivedNew && h.baseline === r.fromRevision) continue;
    h.phase = "rollback-sent";
    h.expectGeneration = null;
    h.offlineSince = h.online ? null : at;
    c.fx.push({ type: "rollbackHost", host: h.name, previousRevision: r.fromRevision });
  }
  checkRollbackDone(c, at);
}

/** Hosts on their way back that stayed offline for offlineTimeoutMs fail their rollback (the rollback can then end, and be retried). */
export function expireRollbackOffline(c: Ctx, now: number): void {
  const { r } = c;
  if (!r.rollback || r.rollback.finishedAt !== null) return;
  let expired = false;
  for (const h of Object.values(r.hosts)) {
    if (
      h.phase !== "rollback-sent" ||
      h.online ||
      h.offlineSince === null ||
      now - h.offlineSince < r.options.offlineTimeoutMs
    )
      continue;
    h.phase = "rollback-failed";
    h.reason = `offline for more than ${r.options.offlineTimeoutMs} ms during the rollback`;
    h.offlineSince = null;
    log(c, "warn", h.reason, { host: h.name });
    expired = true;
  }
  if (expired) checkRollbackDone(c, now);
}

/** Ends the rollback once no host is still on its way back: rolledback, or failed when a host could not return. */
export function checkRollbackDone(c: Ctx, at: number): void {
  const { r } = c;
  if (!r.rollback) return;
  const hosts = Object.values(r.hosts);
  if (hosts.some((h) => h.phase === "rollback-sent")) return;
  const stuck = hosts
    .filter((h) => h.phase === "rollback-failed")
    .map((h) => h.name)
    .sort();
  r.rollback.finishedAt = at;
  r.finishedAt = at;
  if (stuck.length === 0) {
    r.state = "rolledback";
    log(c, "info", `rolled back to ${r.fromRevision ?? "no revision"}`);
  } else {
    r.state = "failed";
    const reason = `rollback failed on ${someHosts(stuck)}`;
    r.reason = `${r.reason ?? "rollback"}; ${reason}`;
    c.fx.push({ type: "rolloutFailed", reason });
  }
}

/** Names for a reason or log line: the first MAX_NAMED, then how many more (a reason stays short at 10,000 hosts). */
function someHosts(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMED).join(", ");
  return names.length > MAX_NAMED ? `${shown} and ${names.length - MAX_NAMED} more (rollout status lists them)` : shown;
}

const MAX_NAMED = 10;
