import { type Ctx, log, sendNew } from "./context.js";
import { failHost } from "./failure.js";
import { activeStage, stageHosts } from "./queries.js";
import type { RolloutHost, RolloutStage } from "./types.js";

const settled = (h: RolloutHost) => h.phase === "converged" || h.phase === "failed" || h.phase === "skipped";

/** Starts `s`: online hosts are sent the new revision, offline ones are waited for. */
function startStage(c: Ctx, s: RolloutStage, now: number): void {
  s.state = "waiting";
  s.startedAt = now;
  c.fx.push({ type: "stageStarted", stage: s.index, kind: s.kind, hosts: [...s.hosts] });
  for (const h of stageHosts(c.r, s)) {
    if (h.online) sendNew(c, h);
    else {
      h.phase = "offline";
      h.offlineSince = now;
      log(c, "warn", "host offline when its stage started; waiting for it", { host: h.name, stage: s.index });
    }
  }
}

function finishStage(c: Ctx, s: RolloutStage, now: number): void {
  s.state = "succeeded";
  s.finishedAt = now;
  s.soakUntil = null;
  c.fx.push({ type: "stageSucceeded", stage: s.index });
}

/** Every participant skipped and every late host get the new good revision; state succeeded. */
function succeed(c: Ctx, now: number): void {
  const { r } = c;
  r.state = "succeeded";
  r.finishedAt = now;
  r.reason = null;
  for (const h of Object.values(r.hosts).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (h.phase !== "skipped" || h.receivedNew) continue;
    h.receivedNew = true;
    c.fx.push({ type: "sendRevision", host: h.name, revision: r.toRevision });
  }
  log(c, "info", `rollout succeeded: ${r.toRevision} is the good revision`);
}

/**
 * Moves a running rollout as far as `now` allows: a stage whose hosts all settled starts
 * soaking (or succeeds when soakMs is 0), a soak that elapsed succeeds the stage, and the
 * next pending stage starts. The plan stage only ends by planRecorded/planSkipped.
 */
export function advance(c: Ctx, now: number): void {
  const { r } = c;
  for (;;) {
    if (r.state !== "running") return;
    const s = activeStage(r);
    if (!s) {
      const next = r.stages.find((x) => x.state === "pending");
      if (!next) return succeed(c, now);
      startStage(c, next, now);
      continue;
    }
    if (s.kind === "plan") return;
    if (s.state === "waiting") {
      if (!stageHosts(r, s).every(settled)) return;
      if (r.settings.soakMs > 0) {
        s.state = "soaking";
        s.soakUntil = now + r.settings.soakMs;
        continue;
      }
      finishStage(c, s, now);
      continue;
    }
    if (s.soakUntil !== null && now < s.soakUntil) return;
    finishStage(c, s, now);
  }
}

/** Hosts of the active stage offline for offlineTimeoutMs are counted as failed or skipped (options.offlineHosts). */
export function expireOffline(c: Ctx, now: number): void {
  const { r } = c;
  const s = activeStage(r);
  if (!s || r.state !== "running") return;
  for (const h of stageHosts(r, s)) {
    if (h.online || h.offlineSince === null || now - h.offlineSince < r.options.offlineTimeoutMs) continue;
    if (h.phase !== "offline" && h.phase !== "sent") continue;
    if (r.options.offlineHosts === "failed")
      failHost(c, h, `offline for more than ${r.options.offlineTimeoutMs} ms`, now);
    else {
      h.phase = "skipped";
      h.offlineSince = null;
      h.reason = `skipped: offline for more than ${r.options.offlineTimeoutMs} ms`;
      log(c, "warn", h.reason, { host: h.name, stage: s.index });
    }
    if (r.state !== "running") return;
  }
}
