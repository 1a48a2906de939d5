import { describe, expect, it } from "vitest";
import { ControllerLink, MAX_RECONNECT_SPREAD_MS } from "../../../agent/link/index.js";
import { silentLogger } from "../../../common/index.js";

// The link's message handling without a controller: a fake attempt, private onMessage.
interface Internals {
  status: { state: string; attempt: number; lastError: string | null; retryAfterMs: number };
  onMessage(a: unknown, msg: unknown): void;
  tick(a: unknown): void;
  retryTimer: NodeJS.Timeout | undefined;
}

function setup(saveAgentSeq: (seq: number) => void = () => undefined, random = Math.random) {
  const saved: number[] = [];
  const link = new ControllerLink(
    {
      controllers: [{ host: "127.0.0.1", port: 1 }],
      insecure: true,
      backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 },
      welcomeTimeoutMs: 1000,
      random,
    },
    () => ({ hostName: "h", agentVersion: "0", factsJson: "{}", factsFingerprint: "", startedAtMs: 0 }),
    {
      sequences: () => ({ lastAgentSeq: 0, lastControllerSeq: 0 }),
      saveAgentSeq,
      saveControllerSeq: (s) => void saved.push(s),
    },
    silentLogger(),
  );
  const a = {
    done: false,
    lastMessageAt: 0,
    timer: undefined,
    call: { write: () => true, cancel: () => undefined, end: () => undefined },
    client: { close: () => undefined },
    markEnded: () => undefined,
    ended: Promise.resolve(),
  };
  return { link, i: link as unknown as Internals, a };
}

describe("controller link while draining", () => {
  it("still takes eventsAck and ignores bundles and commands", () => {
    const { link, i, a } = setup();
    const acks: number[] = [];
    const other: string[] = [];
    link.handle({
      onEventsAck: (n) => void acks.push(n),
      onBundle: () => void other.push("bundle"),
      onCommand: () => void other.push("command"),
    });
    i.status = { state: "SHUTDOWN", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, { seq: 1, ack: 0, body: "eventsAck", eventsAck: { upToEventSeq: 7 } });
    i.onMessage(a, { seq: 2, ack: 0, body: "bundle", bundle: {} });
    i.onMessage(a, { seq: 3, ack: 0, body: "command", command: {} });
    expect(acks).toEqual([7]);
    expect(other).toEqual([]);
  });
});

describe("controller link timers", () => {
  it("a heartbeat that cannot be saved fails the attempt instead of throwing", () => {
    const { link, i, a } = setup(() => {
      throw new Error("SQLITE_FULL");
    });
    i.status = { state: "READY", attempt: 0, lastError: null, retryAfterMs: 0 };
    a.lastMessageAt = Date.now();
    expect(() => i.tick(a)).not.toThrow();
    expect(a.done).toBe(true);
    expect(link.state.state).toBe("TRANSIENT_FAILURE");
    clearTimeout(i.retryTimer);
  });
});

describe("controller link retry delay", () => {
  it("clamps a huge Goodbye.retryAfterMs to what setTimeout takes", () => {
    const { link, i, a } = setup();
    i.status = { state: "READY", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, { seq: 1, ack: 0, body: "goodbye", goodbye: { reason: "busy", retryAfterMs: 2 ** 40 } });
    expect(link.state.state).toBe("TRANSIENT_FAILURE");
    expect((i.retryTimer as unknown as { _idleTimeout: number })._idleTimeout).toBe(2 ** 31 - 1);
    clearTimeout(i.retryTimer);
  });
});

describe("controller link reconnect spread", () => {
  const welcome = (reconnectSpreadMs: number) => ({
    seq: 1,
    ack: 0,
    body: "welcome",
    welcome: {
      sessionId: "s",
      heartbeatIntervalMs: 10_000,
      heartbeatTimeoutMs: 30_000,
      controllerVersion: "0",
      lastAgentSeq: 0,
      lastEventSeq: 0,
      reconnectSpreadMs,
    },
  });
  const delayOf = (i: Internals) => (i.retryTimer as unknown as { _idleTimeout: number })._idleTimeout;

  it("waits a random share of the controller's spread when a welcomed stream breaks without Goodbye", () => {
    const { link, i, a } = setup(undefined, () => 0.5);
    i.status = { state: "CONNECTING", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, welcome(8_000));
    clearInterval(a.timer);
    i.onMessage(a, { seq: 2, ack: 0, body: "ackOnly", ackOnly: { controllerTimeMs: 1, reconnectSpreadMs: 40_000 } });
    a.lastMessageAt = 0; // silent past the heartbeat timeout: the controller is gone
    i.tick(a);
    expect(link.state.state).toBe("TRANSIENT_FAILURE");
    expect(delayOf(i)).toBe(20_000);
    clearTimeout(i.retryTimer);
  });

  it("keeps its own short backoff after a Goodbye without retry_after_ms, and before any Welcome", () => {
    const { i, a } = setup(undefined, () => 0.99);
    i.status = { state: "CONNECTING", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, welcome(40_000));
    clearInterval(a.timer);
    i.onMessage(a, { seq: 2, ack: 0, body: "goodbye", goodbye: { reason: "replaced", retryAfterMs: 0 } });
    expect(delayOf(i)).toBeLessThanOrEqual(100);
    clearTimeout(i.retryTimer);

    const second = setup(undefined, () => 0.99);
    second.i.status = { state: "CONNECTING", attempt: 0, lastError: null, retryAfterMs: 0 };
    second.a.lastMessageAt = 0;
    (second.i as unknown as { fail(a: unknown, reason: string): void }).fail(second.a, "refused");
    expect(delayOf(second.i)).toBeLessThanOrEqual(100);
    clearTimeout(second.i.retryTimer);
  });

  it("clamps an absurd spread to MAX_RECONNECT_SPREAD_MS", () => {
    const { i, a } = setup(undefined, () => 1);
    i.status = { state: "CONNECTING", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, welcome(2 ** 32 - 1));
    clearInterval(a.timer);
    a.lastMessageAt = 0;
    i.tick(a);
    expect(delayOf(i)).toBe(MAX_RECONNECT_SPREAD_MS);
    clearTimeout(i.retryTimer);
  });
});
