/**
 * The controller link's states (as gRPC's connectivity states) and its one transition
 * function. Pure: no timers, no I/O; the link performs the effects of each transition.
 *
 *   IDLE --start--> CONNECTING --welcome--> READY
 *   CONNECTING|READY --failure--> TRANSIENT_FAILURE --retry--> CONNECTING
 *   any --shutdown--> SHUTDOWN (final)
 */
export type LinkState = "IDLE" | "CONNECTING" | "READY" | "TRANSIENT_FAILURE" | "SHUTDOWN";

export type LinkEvent =
  | { type: "start" }
  | { type: "welcome" }
  | { type: "failure"; reason: string; retryAfterMs?: number }
  | { type: "retry" }
  | { type: "shutdown" };

export interface LinkStatus {
  state: LinkState;
  /** Consecutive failed attempts since the last READY; drives the backoff. */
  attempt: number;
  lastError: string | null;
  /** Minimum wait before the next attempt that the controller it goes to asked for (Goodbye.retryAfterMs, reconnect spread). */
  retryAfterMs: number;
}

export const INITIAL_LINK_STATUS: LinkStatus = { state: "IDLE", attempt: 0, lastError: null, retryAfterMs: 0 };

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: LinkState,
    readonly event: LinkEvent["type"],
  ) {
    super(`controller link: event "${event}" is not valid in state ${from}`);
    this.name = "InvalidTransitionError";
  }
}

/** Returns the next status; throws InvalidTransitionError for an event the state does not accept. */
export function transition(s: LinkStatus, e: LinkEvent): LinkStatus {
  if (s.state === "SHUTDOWN") return s;
  switch (e.type) {
    case "shutdown":
      return { ...s, state: "SHUTDOWN" };
    case "start":
      if (s.state !== "IDLE") break;
      return { ...s, state: "CONNECTING" };
    case "welcome":
      if (s.state !== "CONNECTING") break;
      return { state: "READY", attempt: 0, lastError: null, retryAfterMs: 0 };
    case "failure":
      if (s.state !== "CONNECTING" && s.state !== "READY") break;
      return {
        state: "TRANSIENT_FAILURE",
        attempt: s.attempt + 1,
        lastError: e.reason,
        retryAfterMs: e.retryAfterMs ?? 0,
      };
    case "retry":
      if (s.state !== "TRANSIENT_FAILURE") break;
      return { ...s, state: "CONNECTING" };
  }
  throw new InvalidTransitionError(s.state, e.type);
}
