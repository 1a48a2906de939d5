import * as grpc from "@grpc/grpc-js";
import type { AgentMessage } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import type { PolicyBundle__Output } from "../../generated/proto/fleet/v1/PolicyBundle.js";
import type { ResourceOutcome } from "../../generated/proto/fleet/v1/ResourceOutcome.js";
import { afterFailure, type ControllerChoice, firstChoice, waitForChosen } from "../../agent/link/index.js";
import { backoffDelay, VERSION } from "../../common/index.js";
import { encodeDriftFields, PROTOCOL_VERSION } from "../../common/wire/index.js";
import { WireStream, type WireTarget } from "./wire-stream.js";

/** What a simulated agent needs to connect: its name, facts and (mTLS) channel credentials. */
export interface SimulatedAgentConfig {
  host: string;
  /** The controller, and this agent's own TLS identity when mTLS is on (or `targets`). */
  target?: WireTarget;
  /**
   * Instead of `target`: several replicas in the order this agent tries them (targets.ts
   * agentTargets), each with this agent's TLS identity when mTLS is on; `index` is the
   * replica's place in the benchmark's address list (connectedByTarget).
   */
  targets?: readonly { index: number; target: WireTarget }[];
  facts: { json: string; fingerprint: string };
  /** Called for everything the worker counts. */
  stats: AgentStats;
  /** An attempt without Welcome within this long fails (as the real agent's link does). */
  welcomeTimeoutMs: number;
}

/** Counters shared by all agents of one worker (no per-agent bookkeeping beyond the protocol). */
export interface AgentStats {
  connected: number;
  /** Agents welcomed now, per replica (index in the benchmark's address list). */
  connectedByTarget: number[];
  attempts: number;
  /** Attempts that ended before a Welcome (refused, reset, timed out) without being told when to retry. */
  failedAttempts: number;
  /** Attempts the controller turned away with Goodbye{retry_after_ms} (admission control). */
  deferredAttempts: number;
  failuresByReason: Map<string, number>;
  /** Welcome times of the current phase: first and last. */
  lastWelcomeAt: number;
  /** Per bundle revision: how many agents received it, and the last receipt. */
  bundles: Map<string, { count: number; lastAt: number }>;
  plansAnswered: number;
  eventsSent: number;
  eventsAcked: number;
  firstEventAt: number;
  lastAckAt: number;
}

export function newStats(): AgentStats {
  return {
    connected: 0,
    connectedByTarget: [],
    attempts: 0,
    failedAttempts: 0,
    deferredAttempts: 0,
    failuresByReason: new Map(),
    lastWelcomeAt: 0,
    bundles: new Map(),
    plansAnswered: 0,
    eventsSent: 0,
    eventsAcked: 0,
    firstEventAt: 0,
    lastAckAt: 0,
  };
}

/**
 * One simulated agent speaking the real protocol (bench/loadgen, a benchmark tool): Hello with
 * facts, heartbeats at the interval Welcome names, a Report for every bundle, a PlanResult for
 * every plan command, drift events on demand; sequence numbers and event_seq as the agent
 * keeps them (event_seq continues from Welcome.last_event_seq). It reconnects like the real
 * agent's link: full-jitter backoff (common/backoff) after a failure, at least Goodbye's
 * retry_after_ms, a random share of Welcome/Ack.reconnect_spread_ms when a welcomed stream
 * breaks without a Goodbye, a new connection per attempt (over WireStream: gRPC spoken on Node's http2).
 * With several replicas it moves through its list as the link does (agent/link/controller-choice.ts):
 * each failure goes on to the next replica, a wait a replica asked for (Goodbye, reconnect
 * spread) delays only calls to that replica, and the backoff grows with consecutive failures.
 */
export class SimulatedAgent {
  private call: WireStream | undefined;
  private seq = 0;
  private controllerSeq = 0;
  private eventSeq = 0;
  private ackedEventSeq = 0;
  private bundleRevision = "";
  private bundle: PolicyBundle__Output | undefined;
  private welcomed = false;
  private failures = 0;
  private retryAfterMs = 0;
  private goodbye = false;
  private reconnectSpreadMs = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private driftCount = 0;
  private choice: ControllerChoice;
  /** The list index of the replica of the current attempt. */
  private current = 0;

  private readonly targets: readonly { index: number; target: WireTarget }[];

  constructor(private readonly c: SimulatedAgentConfig) {
    this.targets = c.targets ?? (c.target ? [{ index: 0, target: c.target }] : []);
    this.choice = firstChoice(this.targets.length);
  }

  get isConnected(): boolean {
    return this.welcomed;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.teardown();
  }

  /** Sends one drift event (a repaired corrective drift of a resource of its bundle); false when not connected. */
  sendDrift(): boolean {
    if (!this.welcomed || !this.call) return false;
    const now = Date.now();
    this.driftCount += 1;
    const policy = this.bundle?.policies[0]?.name ?? "bench";
    const s = this.c.stats;
    if (s.firstEventAt === 0) s.firstEventAt = now;
    s.eventsSent += 1;
    this.write({
      drift: {
        eventSeq: ++this.eventSeq,
        id: `${this.c.host}-d${this.driftCount}-${now}`,
        policy,
        kind: "network",
        name: "bench-net",
        // protocol 1, as a real agent of this release sends it (typed values)
        fields: encodeDriftFields([{ field: "autostart", desiredJson: "true", actualJson: "false" }], PROTOCOL_VERSION),
        detectedAtMs: now,
        source: "event",
        remediation: "repaired",
        resolvedAtMs: now,
        classification: "corrective",
        detail: "",
      },
    });
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    const s = this.c.stats;
    s.attempts += 1;
    const chosen = this.targets[this.choice.index]!;
    this.current = chosen.index;
    const call = new WireStream(chosen.target);
    this.call = call;
    this.seq = 0;
    call.on("message", (m: ControllerMessage__Output) => this.onMessage(call, m));
    call.on("end", (code: number, details: string) => this.lost(call, failureReason(code, details)));
    this.welcomeTimer = setTimeout(() => this.lost(call, "no welcome in time"), this.c.welcomeTimeoutMs);
    this.write({
      hello: {
        hostName: this.c.host,
        agentVersion: VERSION,
        factsJson: this.c.facts.json,
        factsFingerprint: this.c.facts.fingerprint,
        lastControllerSeq: this.controllerSeq,
        startedAtMs: Date.now(),
        bundleRevision: this.bundleRevision,
        protocolVersion: PROTOCOL_VERSION,
      },
    });
  }

  private write(body: Omit<AgentMessage, "seq" | "ack">): void {
    this.call?.write({ seq: ++this.seq, ack: this.controllerSeq, ...body });
  }

  private onMessage(call: WireStream, m: ControllerMessage__Output): void {
    if (call !== this.call) return;
    this.controllerSeq = Math.max(this.controllerSeq, Number(m.seq));
    const s = this.c.stats;
    switch (m.body) {
      case "welcome": {
        const w = m.welcome!;
        clearTimeout(this.welcomeTimer);
        this.welcomed = true;
        this.failures = 0;
        this.retryAfterMs = 0;
        this.goodbye = false;
        this.reconnectSpreadMs = w.reconnectSpreadMs;
        s.connected += 1;
        s.connectedByTarget[this.current] = (s.connectedByTarget[this.current] ?? 0) + 1;
        s.lastWelcomeAt = Date.now();
        this.eventSeq = Math.max(this.eventSeq, Number(w.lastEventSeq));
        this.ackedEventSeq = Math.max(this.ackedEventSeq, Number(w.lastEventSeq));
        this.heartbeat = setInterval(
          () => this.write({ heartbeat: { sentAtMs: Date.now() } }),
          w.heartbeatIntervalMs || 10_000,
        );
        return;
      }
      case "bundle":
        return this.onBundle(m.bundle!);
      case "command": {
        const plan = m.command!.plan;
        if (!plan) return;
        s.plansAnswered += 1;
        this.write({
          planResult: {
            commandId: m.command!.id,
            bundleRevision: plan.bundle?.revision ?? "",
            resources: outcomesOf(plan.bundle ?? undefined),
            error: "",
            durationMs: 3,
          },
        });
        return;
      }
      case "eventsAck": {
        const upTo = Number(m.eventsAck!.upToEventSeq);
        if (upTo > this.ackedEventSeq) {
          s.eventsAcked += upTo - this.ackedEventSeq;
          s.lastAckAt = Date.now();
          this.ackedEventSeq = upTo;
        }
        return;
      }
      case "ackOnly":
        if (m.ackOnly!.reconnectSpreadMs > 0) this.reconnectSpreadMs = m.ackOnly!.reconnectSpreadMs;
        return;
      case "goodbye":
        this.goodbye = true;
        this.retryAfterMs = m.goodbye!.retryAfterMs;
        return;
      default:
        return;
    }
  }

  private onBundle(b: PolicyBundle__Output): void {
    const now = Date.now();
    this.bundle = b;
    this.bundleRevision = b.revision;
    const seen = this.c.stats.bundles.get(b.revision);
    if (seen) {
      seen.count += 1;
      seen.lastAt = now;
    } else this.c.stats.bundles.set(b.revision, { count: 1, lastAt: now });
    this.write({
      report: {
        eventSeq: ++this.eventSeq,
        generation: b.generation,
        bundleRevision: b.revision,
        trigger: "bundle",
        startedAtMs: now,
        durationMs: 4,
        dryRun: false,
        resources: outcomesOf(b),
      },
    });
  }

  private lost(call: WireStream, reason: string): void {
    if (call !== this.call) return;
    const s = this.c.stats;
    if (this.welcomed) {
      s.connected -= 1;
      s.connectedByTarget[this.current]! -= 1;
    } else if (this.retryAfterMs > 0) s.deferredAttempts += 1;
    else {
      s.failedAttempts += 1;
      s.failuresByReason.set(reason, (s.failuresByReason.get(reason) ?? 0) + 1);
    }
    const wasWelcomed = this.welcomed;
    this.teardown();
    if (this.stopped) return;
    // As the agent's link: a stream that had been welcomed starts the backoff over, and one that
    // broke without a Goodbye keeps that controller waiting a random share of its reconnect
    // spread; the next attempt goes to the next controller of the list, after the backoff and
    // whatever that one asked for earlier.
    if (wasWelcomed) this.failures = 0;
    const spread = wasWelcomed && !this.goodbye ? Math.round(Math.random() * this.reconnectSpreadMs) : 0;
    const now = performance.now();
    this.choice = afterFailure(this.choice, now, Math.max(this.retryAfterMs, spread));
    const delay = Math.max(waitForChosen(this.choice, now), backoffDelay(this.failures));
    this.failures += 1;
    this.retryAfterMs = 0;
    this.goodbye = false;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private teardown(): void {
    clearTimeout(this.welcomeTimer);
    clearInterval(this.heartbeat);
    this.welcomed = false;
    const call = this.call;
    this.call = undefined;
    call?.close();
  }
}

/** The reason counted for a call that ended: its gRPC status, a refused connection (no replica listening there) apart. */
export function failureReason(code: number, details: string): string {
  if (code === grpc.status.OK) return "ended";
  const status = grpc.status[code] ?? String(code);
  return /ECONNREFUSED/.test(details) ? `${status} (${REFUSED})` : status;
}

/** How failuresByReason names attempts refused at connect (nothing listening: a dead or standby replica). */
export const REFUSED = "connection refused";

const KINDS: [keyof ResourceLists, string][] = [
  ["networks", "network"],
  ["pools", "pool"],
  ["volumes", "volume"],
  ["domains", "domain"],
];
interface ResourceLists {
  networks?: { name: string }[];
  pools?: { name: string }[];
  volumes?: { name: string }[];
  domains?: { name: string }[];
}

/** "ok" for every resource of every policy in `b` (what an in-sync host reports). */
function outcomesOf(b: PolicyBundle__Output | undefined): ResourceOutcome[] {
  const out: ResourceOutcome[] = [];
  for (const p of b?.policies ?? []) {
    let resources: ResourceLists = {};
    try {
      resources = (JSON.parse(p.resolvedJson) as { resources?: ResourceLists }).resources ?? {};
    } catch {
      // an unreadable policy reports nothing
    }
    for (const [key, kind] of KINDS)
      for (const r of resources[key] ?? [])
        out.push({ kind, name: r.name, policy: p.name, outcome: "ok", changes: [], error: "" });
  }
  return out;
}
