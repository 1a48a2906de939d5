import { describe, expect, it } from "vitest";
import {
  INITIAL_LINK_STATUS,
  InvalidTransitionError,
  transition,
  type LinkEvent,
  type LinkStatus,
} from "../../../agent/link/index.js";

const run = (events: LinkEvent[], from: LinkStatus = INITIAL_LINK_STATUS) => events.reduce(transition, from);

describe("controller link state machine", () => {
  it("goes IDLE → CONNECTING → READY and resets the attempt count on welcome", () => {
    const s = run([{ type: "start" }, { type: "failure", reason: "refused" }, { type: "retry" }, { type: "welcome" }]);
    expect(s).toEqual({ state: "READY", attempt: 0, lastError: null, retryAfterMs: 0 });
  });

  it("counts consecutive failures and keeps the controller's retry-after", () => {
    const s = run([
      { type: "start" },
      { type: "failure", reason: "a" },
      { type: "retry" },
      { type: "failure", reason: "b", retryAfterMs: 5000 },
    ]);
    expect(s).toEqual({ state: "TRANSIENT_FAILURE", attempt: 2, lastError: "b", retryAfterMs: 5000 });
  });

  it("drops a READY link into TRANSIENT_FAILURE", () => {
    expect(run([{ type: "start" }, { type: "welcome" }, { type: "failure", reason: "x" }]).state).toBe(
      "TRANSIENT_FAILURE",
    );
  });

  it("SHUTDOWN is final from every state", () => {
    for (const prefix of [
      [],
      [{ type: "start" }],
      [{ type: "start" }, { type: "welcome" }],
      [{ type: "start" }, { type: "failure", reason: "x" }],
    ] as LinkEvent[][]) {
      const s = run([...prefix, { type: "shutdown" }]);
      expect(s.state).toBe("SHUTDOWN");
      for (const e of [
        { type: "start" },
        { type: "retry" },
        { type: "welcome" },
        { type: "failure", reason: "late" },
      ] as LinkEvent[]) {
        expect(transition(s, e).state).toBe("SHUTDOWN");
      }
    }
  });

  it.each([
    [[] as LinkEvent[], { type: "welcome" } as LinkEvent],
    [[], { type: "retry" }],
    [[{ type: "start" }], { type: "start" }],
    [[{ type: "start" }], { type: "retry" }],
    [[{ type: "start" }, { type: "welcome" }], { type: "welcome" }],
    [[{ type: "start" }, { type: "failure", reason: "x" }], { type: "failure", reason: "y" }],
  ] as [LinkEvent[], LinkEvent][])("rejects invalid transitions (%j then %j)", (prefix, event) => {
    expect(() => transition(run(prefix), event)).toThrow(InvalidTransitionError);
  });
});
