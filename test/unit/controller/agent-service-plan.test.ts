import * as grpc from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../common/index.js";
import {
  AgentService,
  MAX_QUEUED_HELLOS,
  RECONNECT_MIN_MS,
  RECONNECT_SPREAD_MAX_MS,
  RECONNECT_SPREAD_PER_AGENT_MS,
  reconnectSpreadMs,
  type AgentSession,
  type AgentStreamHooks,
} from "../../../controller/agents/index.js";
import type { ValidPlanResult } from "../../../controller/agent-messages/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// AgentService routes PlanResult messages to onPlanResult; an invalid one resets the stream.
const log = createLogger("agent-service-test", "silent");

class FakeCall extends EventEmitter {
  written: any[] = [];
  writableLength = 0;
  getPeer() {
    return "ipv4:127.0.0.1:1";
  }
  write(m: unknown) {
    this.written.push(m);
    return true;
  }
  end() {
    this.emit("finish");
  }
  destroy() {}
}

let service: AgentService | undefined;
/** The store of the engine under test (emptied before each test). */
let t: TestStore;

/** Hellos are admitted in batches (HELLO_BATCH_DELAY_MS): wait for the Welcome. */
const welcomed = (call: FakeCall) =>
  vi.waitFor(() => expect(call.written[0]).toHaveProperty("welcome"), { timeout: 2_000, interval: 5 });

/**
 * The Welcome is sent inside the Hello batch's transaction; what the stream sends meanwhile is
 * handled once that committed (the session's backlog then ends): wait for both.
 */
const admitted = async (call: FakeCall, sessions: AgentSession[]) => {
  await welcomed(call);
  await vi.waitFor(() => expect(sessions.length > 0 && sessions.every((s) => s.backlog === undefined)).toBe(true), {
    timeout: 5_000,
    interval: 5,
  });
};

async function connect() {
  service = new AgentService(new HostStore(t.db), log);
  const results: [AgentSession, ValidPlanResult][] = [];
  const errors: { code: number; details: string }[] = [];
  const sessions: AgentSession[] = [];
  service.use({ onPlanResult: (s, r) => results.push([s, r]), onReady: (s) => sessions.push(s) });
  const call = new FakeCall();
  call.on("error", (e) => errors.push(e));
  service.handlers().Connect(call as never);
  let seq = 0;
  const send = (body: object) => call.emit("data", { seq: ++seq, ack: 0, ...body });
  send({
    body: "hello",
    hello: {
      hostName: "kvm01",
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: "fp",
      lastControllerSeq: 0,
      startedAtMs: 1,
      bundleRevision: "",
    },
  });
  expect(call.written).toEqual([]);
  await admitted(call, sessions);
  return { call, send, results, errors };
}

/** A fresh service (with `hooks`) and `n` streams that each sent a Hello (hosts h0, h1, …). */
function helloFrom(n: number, hooks?: AgentStreamHooks): FakeCall[] {
  service = new AgentService(new HostStore(t.db), log);
  if (hooks) service.use(hooks);
  const calls: FakeCall[] = [];
  for (let i = 0; i < n; i++) {
    const call = new FakeCall();
    call.on("error", () => undefined);
    service.handlers().Connect(call as never);
    call.emit("data", {
      seq: 1,
      ack: 0,
      body: "hello",
      hello: {
        hostName: `h${i}`,
        agentVersion: "1",
        factsJson: "{}",
        factsFingerprint: "fp",
        lastControllerSeq: 0,
        startedAtMs: 1,
        bundleRevision: "",
      },
    });
    calls.push(call);
  }
  return calls;
}

const planResult = (over: object = {}) => ({
  body: "planResult",
  planResult: { commandId: "plan-1", bundleRevision: "b1", resources: [], error: "", durationMs: 3, ...over },
});

describe.each(ENGINES)("AgentService and PlanResult (%s)", (engine) => {
  beforeAll(async () => {
    t = await openTestStore(engine);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.run("DELETE FROM hosts");
  });
  afterEach(async () => {
    await service?.shutdown("test over");
    service = undefined;
  });

  it("hands a valid PlanResult to onPlanResult with its session", async () => {
    const { send, results, errors } = await connect();
    send(
      planResult({
        resources: [
          {
            kind: "network",
            name: "n",
            policy: "p",
            outcome: "drift",
            changesJson: '[{"field":"state","from":"absent","to":"active","disruption":"live"}]',
            error: "",
            pendingRestart: false,
          },
        ],
      }),
    );
    expect(errors).toEqual([]);
    expect(results).toHaveLength(1);
    expect(results[0]![0].host).toBe("kvm01");
    expect(results[0]![1]).toMatchObject({
      commandId: "plan-1",
      resources: [{ kind: "network", changes: [{ field: "state", from: "absent" }] }],
    });
  });

  it("resets the stream with INVALID_ARGUMENT on an invalid PlanResult", async () => {
    const { send, results, errors, call } = await connect();
    send(
      planResult({
        resources: [
          {
            kind: "network",
            name: "n",
            policy: "p",
            outcome: "maybe",
            changesJson: "[]",
            error: "",
            pendingRestart: false,
          },
        ],
      }),
    );
    expect(results).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(errors[0]!.details).toMatch(/planResult.resources\[0\].outcome/);
    expect(call.written.at(-1)).toHaveProperty("goodbye");
    expect(service!.connectedHosts()).toEqual([]);
  });

  it("handles what a stream sends before its Hello was admitted after the Welcome, in order", async () => {
    service = new AgentService(new HostStore(t.db), log);
    const results: ValidPlanResult[] = [];
    service.use({ onPlanResult: (_s, r) => results.push(r) });
    const call = new FakeCall();
    service.handlers().Connect(call as never);
    call.emit("data", {
      seq: 1,
      ack: 0,
      body: "hello",
      hello: {
        hostName: "kvm02",
        agentVersion: "1",
        factsJson: "{}",
        factsFingerprint: "fp",
        lastControllerSeq: 0,
        startedAtMs: 1,
        bundleRevision: "",
      },
    });
    call.emit("data", { seq: 2, ack: 0, ...planResult() });
    expect(results).toEqual([]);
    await welcomed(call);
    await vi.waitFor(() => expect(results.map((r) => r.commandId)).toEqual(["plan-1"]), {
      timeout: 5_000,
      interval: 5,
    });
    expect(service.connectedHosts()).toEqual(["kvm02"]);
  });

  it("a Hello that fails in its batch resets its stream alone: the others are stored and welcomed", async () => {
    const errors: { code: number }[] = [];
    const calls = helloFrom(3, {
      // h1's hook fails on the store inside the batch's transaction
      onReady: async (session, _hello, tx) => {
        if (session.host === "h1") await tx!.run("SELECT no_such_column FROM hosts");
      },
    });
    calls[1]!.on("error", (e: { code: number }) => errors.push(e));
    await vi.waitFor(() => expect(service!.connectedHosts()).toEqual(["h0", "h2"]), { timeout: 5_000, interval: 10 });
    expect(errors.map((e) => e.code)).toEqual([grpc.status.INTERNAL]);
    expect(calls[0]!.written[0]).toHaveProperty("welcome");
    expect(calls[2]!.written[0]).toHaveProperty("welcome");
    // committed: h1's own writes rolled back with its savepoint
    await vi.waitFor(
      async () =>
        expect((await t.db.all<{ name: string }>("SELECT name FROM hosts ORDER BY name")).map((r) => r.name)).toEqual([
          "h0",
          "h2",
        ]),
      { timeout: 5_000, interval: 10 },
    );
  });

  it("turns Hellos away with a retry_after_ms once MAX_QUEUED_HELLOS wait for admission", async () => {
    const calls = helloFrom(MAX_QUEUED_HELLOS + 1);
    const last = calls.at(-1)!;
    expect(last.written).toHaveLength(1);
    expect(last.written[0].goodbye.reason).toMatch(/busy/);
    expect(last.written[0].goodbye.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(service!.busyRefusals).toBe(1);
    await vi.waitFor(() => expect(service!.connectedHosts()).toHaveLength(MAX_QUEUED_HELLOS), {
      timeout: 10_000,
      interval: 20,
    });
    expect(calls[0]!.written[0]).toHaveProperty("welcome");
  });

  it("spreads the agents' reconnects over time when it shuts down (Goodbye retry_after_ms)", async () => {
    const calls = helloFrom(500);
    await vi.waitFor(() => expect(service!.connectedHosts()).toHaveLength(500), { timeout: 10_000, interval: 20 });
    service!.shutdown("test over");
    const delays = calls.map((c) => c.written.at(-1).goodbye.retryAfterMs as number);
    const spread = 500 * RECONNECT_SPREAD_PER_AGENT_MS;
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(RECONNECT_MIN_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(RECONNECT_MIN_MS + spread);
    // Spread, not bunched: each quarter of the window gets some of the 500.
    for (let q = 0; q < 4; q++) {
      const from = RECONNECT_MIN_MS + (q * spread) / 4;
      expect(delays.filter((d) => d >= from && d < from + spread / 4).length).toBeGreaterThan(50);
    }
  });

  it("tells each agent the reconnect spread for the fleet it holds (Welcome, then every heartbeat Ack)", async () => {
    const calls = helloFrom(20);
    await vi.waitFor(() => expect(service!.connectedHosts()).toHaveLength(20), { timeout: 10_000, interval: 20 });
    const first = calls[0]!.written[0].welcome.reconnectSpreadMs as number;
    expect(first).toBeGreaterThanOrEqual(RECONNECT_SPREAD_PER_AGENT_MS);
    expect(first).toBeLessThanOrEqual(20 * RECONNECT_SPREAD_PER_AGENT_MS);
    // Connected hosts are counted before their Hellos' batch commits; what a stream sends
    // meanwhile is answered after the commit.
    calls[0]!.emit("data", { seq: 2, ack: 1, body: "heartbeat", heartbeat: { sentAtMs: 2 } });
    await vi.waitFor(() => expect(calls[0]!.written.at(-1)).toHaveProperty("ackOnly"), {
      timeout: 5_000,
      interval: 10,
    });
    expect(calls[0]!.written.at(-1).ackOnly.reconnectSpreadMs).toBe(20 * RECONNECT_SPREAD_PER_AGENT_MS);
  });

  it("sizes the reconnect spread by the fleet, up to RECONNECT_SPREAD_MAX_MS", () => {
    expect(reconnectSpreadMs(0)).toBe(0);
    expect(reconnectSpreadMs(1_000)).toBe(1_000 * RECONNECT_SPREAD_PER_AGENT_MS);
    expect(reconnectSpreadMs(1_000_000)).toBe(RECONNECT_SPREAD_MAX_MS);
  });
});
