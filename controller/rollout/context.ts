import type { Rollout, RolloutEffect, RolloutHost } from "./types.js";

/** One step's working copy and the effects it produced. */
export interface Ctx {
  r: Rollout;
  fx: RolloutEffect[];
  /** Set when the batch must end with advance() at this time (see stepAll). */
  advanceAt?: number;
}

export function log(
  c: Ctx,
  level: "info" | "warn",
  message: string,
  extra: { host?: string; stage?: number } = {},
): void {
  c.fx.push({ type: "log", level, message, ...extra });
}

/** Sends the new revision to `h` (forward). */
export function sendNew(c: Ctx, h: RolloutHost): void {
  h.phase = "sent";
  h.receivedNew = true;
  h.expectGeneration = null;
  h.offlineSince = null;
  c.fx.push({ type: "sendRevision", host: h.name, revision: c.r.toRevision });
}
