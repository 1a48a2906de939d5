import { describe, expect, it } from "vitest";
import { ControllerLink } from "../../../agent/link/index.js";
import { silentLogger } from "../../../common/index.js";
import { captureLog } from "../../harness/log-capture.js";
import { freePort } from "../../harness/processes.js";

// The link's choice of controller among replicas: internals driven as in controller-link.test.ts,
// then a real link against closed loopback ports.
interface Internals {
  status: { state: string; attempt: number; lastError: string | null; retryAfterMs: number };
  choice: { index: number };
  onMessage(a: unknown, msg: unknown): void;
  fail(a: unknown, reason: string, retryAfterMs?: number): void;
  retryTimer: NodeJS.Timeout | undefined;
}

const A = { host: "127.0.0.1", port: 1 };
const B = { host: "127.0.0.1", port: 2 };
const C = { host: "127.0.0.1", port: 3 };

function setup(random: () => number) {
  const link = new ControllerLink(
    {
      controllers: [A, B, C],
      insecure: true,
      backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 },
      welcomeTimeoutMs: 1000,
      random,
    },
    () => ({ hostName: "h", agentVersion: "0", factsJson: "{}", factsFingerprint: "", startedAtMs: 0 }),
    {
      sequences: () => ({ lastAgentSeq: 0, lastControllerSeq: 0 }),
      saveAgentSeq: () => undefined,
      saveControllerSeq: () => undefined,
    },
    silentLogger(),
  );
  const attempt = () => ({
    done: false,
    lastMessageAt: Date.now(),
    timer: undefined,
    call: { write: () => true, cancel: () => undefined, end: () => undefined },
    client: { close: () => undefined },
    markEnded: () => undefined,
    ended: Promise.resolve(),
  });
  return { link, i: link as unknown as Internals, attempt };
}

const delayOf = (i: Internals) => (i.retryTimer as unknown as { _idleTimeout: number })._idleTimeout;
const welcome = {
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
    reconnectSpreadMs: 40_000,
  },
};

describe("controller link with several controllers", () => {
  it("fails over to the next replica after the backoff alone; the broken one's spread holds only for it", () => {
    const { link, i, attempt } = setup(() => 0.5);
    expect(link.controller).toEqual(A);
    const a = attempt();
    i.status = { state: "CONNECTING", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, welcome);
    clearInterval((a as { timer?: NodeJS.Timeout }).timer);
    i.fail(a, "stream to A failed"); // a crash: no Goodbye, A's spread is 40 s
    expect(link.state.state).toBe("TRANSIENT_FAILURE");
    expect(i.choice.index).toBe(1);
    expect(delayOf(i)).toBeLessThanOrEqual(100); // to B at once (backoff), not 20 s
    clearTimeout(i.retryTimer);

    i.status = { ...i.status, state: "CONNECTING" };
    i.fail(attempt(), "B refused the connection");
    expect(i.choice.index).toBe(2);
    expect(delayOf(i)).toBeLessThanOrEqual(200);
    clearTimeout(i.retryTimer);

    i.status = { ...i.status, state: "CONNECTING" };
    i.fail(attempt(), "C refused the connection");
    expect(i.choice.index).toBe(0); // back to A: what is left of its 20 s
    expect(delayOf(i)).toBeGreaterThan(19_000);
    expect(delayOf(i)).toBeLessThanOrEqual(20_000);
    clearTimeout(i.retryTimer);
  });

  it("a Goodbye's retry_after_ms holds for that controller, not its replicas", () => {
    const { i, attempt } = setup(() => 0.5);
    const a = attempt();
    i.status = { state: "CONNECTING", attempt: 0, lastError: null, retryAfterMs: 0 };
    i.onMessage(a, welcome);
    clearInterval((a as { timer?: NodeJS.Timeout }).timer);
    i.onMessage(a, { seq: 2, ack: 0, body: "goodbye", goodbye: { reason: "busy", retryAfterMs: 60_000 } });
    expect(i.choice.index).toBe(1);
    expect(delayOf(i)).toBeLessThanOrEqual(100);
    clearTimeout(i.retryTimer);
  });

  it("tries each controller in turn against real closed ports, and logs which", async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const { log, text } = captureLog("agent", "debug");
    const link = new ControllerLink(
      {
        controllers: ports.map((port) => ({ host: "127.0.0.1", port })),
        insecure: true,
        backoff: { initialMs: 20, maxMs: 40, multiplier: 2 },
        welcomeTimeoutMs: 2_000,
      },
      () => ({ hostName: "h", agentVersion: "0", factsJson: "{}", factsFingerprint: "", startedAtMs: 0 }),
      {
        sequences: () => ({ lastAgentSeq: 0, lastControllerSeq: 0 }),
        saveAgentSeq: () => undefined,
        saveControllerSeq: () => undefined,
      },
      log,
    );
    const down = () =>
      text()
        .split("\n")
        .filter((l) => l.includes("controller link down"))
        .map((l) => JSON.parse(l) as { controller: string; next: string });
    link.start();
    try {
      const deadline = Date.now() + 8_000;
      while (down().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      link.close();
    }
    const seen = down().slice(0, 4);
    expect(seen.map((d) => d.controller)).toEqual([0, 1, 2, 0].map((k) => `127.0.0.1:${ports[k]}`));
    expect(seen.map((d) => d.next)).toEqual([1, 2, 0, 1].map((k) => `127.0.0.1:${ports[k]}`));
  });
});
