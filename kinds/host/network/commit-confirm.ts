import { VirtfleetError } from "../../../common/errors.js";
import type { IpCommand } from "./ip.js";
import type { Step } from "./planner.js";
import { runSteps, undoSteps } from "./steps.js";

/** Commit-confirm's default wait for the controller to be reachable again. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 60_000;

/**
 * How the resource learns whether the controller connection survived a change of the
 * uplink (the agent's link, agent/link/; `apply --local`'s --confirm-timeout): part of the
 * ResourceContext as `hostNetwork.uplink`.
 */
export interface UplinkGuard {
  /** The IP address whose route is the uplink (the controller's), or null when there is none to protect. */
  address(): Promise<string | null>;
  /**
   * Resolves true as soon as the controller is reachable again (after the change), false
   * when `timeoutMs` passes first. Absent: the uplink can be protected, never changed.
   */
  confirm?: (timeoutMs: number, signal: AbortSignal) => Promise<boolean>;
  /** How long `confirm` may take (default DEFAULT_CONFIRM_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** The controller did not come back after an uplink change: what was changed was put back. */
export class UplinkRestoredError extends VirtfleetError {
  constructor(message: string) {
    super("HOST_NETWORK_RESTORED", message);
  }
}

/**
 * Commit-confirm: snapshot (every step carries its undo, computed from the state read
 * before), apply, wait for `confirm`; when it says false (or a step fails), undo what was
 * applied, last first, and throw UplinkRestoredError naming `touched` — the previous
 * configuration is back. Resolves when confirmed (the caller then writes the persistent files:
 * a reboot never brings back an unconfirmed change).
 */
export async function commitConfirm(o: {
  ip: IpCommand;
  steps: readonly Step[];
  confirm: (timeoutMs: number, signal: AbortSignal) => Promise<boolean>;
  timeoutMs: number;
  signal: AbortSignal;
  touched: readonly string[];
}): Promise<void> {
  const done: Step[] = [];
  let why: string;
  try {
    await runSteps(o.ip, o.steps, done);
    if (await o.confirm(o.timeoutMs, o.signal)) return;
    why = `the controller was not reachable within ${Math.round(o.timeoutMs / 1000)} s after changing ${o.touched.join(", ")}`;
  } catch (err) {
    why = `changing ${o.touched.join(", ")} failed (${(err as Error).message})`;
  }
  const failures = await undoSteps(o.ip, done);
  throw new UplinkRestoredError(
    failures.length === 0
      ? `${why}: the previous configuration was restored`
      : `${why}: restoring the previous configuration failed in part: ${failures.join("; ")}`,
  );
}
