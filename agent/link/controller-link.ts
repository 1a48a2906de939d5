import * as grpc from "@grpc/grpc-js";
import type { AgentMessage } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { AgentServiceClient } from "../../generated/proto/fleet/v1/AgentService.js";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import type { Command__Output } from "../../generated/proto/fleet/v1/Command.js";
import type { AgentHealth } from "../../generated/proto/fleet/v1/AgentHealth.js";
import type { DriftEvent } from "../../generated/proto/fleet/v1/DriftEvent.js";
import type { PlanResult } from "../../generated/proto/fleet/v1/PlanResult.js";
import type { PolicyBundle__Output } from "../../generated/proto/fleet/v1/PolicyBundle.js";
import type { Report } from "../../generated/proto/fleet/v1/Report.js";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "../../common/backoff.js";
import { channelCredentials } from "../../common/grpc/credentials.js";
import { CLIENT_CHANNEL_OPTIONS } from "../../common/grpc/limits.js";
import { describeError, ProtocolError } from "../../common/errors.js";
import { agentSideProto } from "../../common/grpc/load-protos.js";
import { formatHostPort, type HostPort } from "../../common/address.js";
import type { Logger } from "../../common/logging.js";
import {
  checkFactsJson,
  driftForProtocol,
  negotiateProtocol,
  outcomeForProtocol,
  PROTOCOL_VERSION,
  reportForProtocol,
  type ProtocolVersion,
} from "../../common/wire/index.js";
import { INITIAL_LINK_STATUS, transition, type LinkEvent, type LinkStatus } from "./link-state.js";
import { afterFailure, firstChoice, waitForChosen, type ControllerChoice } from "./controller-choice.js";

export interface LinkOptions {
  /**
   * The controller, or several replicas, in the order this host tries them (the agent passes
   * them through controller-choice.ts inHostOrder): the link starts at the first and moves to
   * the next after every failed attempt or broken stream.
   */
  controllers: readonly HostPort[];
  insecure: boolean;
  /**
   * Secure mode: the channel credentials for each new connection (so a renewed certificate is
   * used from the next connection on). Absent: plaintext when `insecure`, else an error.
   */
  credentials?: () => grpc.ChannelCredentials;
  backoff: BackoffOptions;
  /** A stream that gets no Welcome within this long counts as failed. */
  welcomeTimeoutMs: number;
  /** Uniform [0, 1) draws for the reconnect spread (tests pass their own); Math.random by default. */
  random?: () => number;
  /** Whether this host's libvirtd is unreachable now (sent with each heartbeat); default never. */
  libvirtUnreachable?: () => boolean;
  /** The agent's condition, sent in the Hello and with every Heartbeat (absent = healthy). */
  health?: () => AgentHealth;
  /** Outbox entries not yet acknowledged, sent with every Heartbeat (the controller's backlog metric); default 0. */
  outboxEntries?: () => number;
}

/**
 * 30 s: long enough for a controller busy with a reconnect storm of thousands of TLS
 * handshakes (~2–3 ms of CPU each) to answer; an attempt given up earlier wastes the
 * handshake it queued for and comes back for another (at 10 s, 10,000 mTLS agents on a
 * 2-core controller made tens of thousands of such attempts: docs/design/scale.md).
 */
export const DEFAULT_WELCOME_TIMEOUT_MS = 30_000;
/** Bounds on what a controller may ask for in Welcome; outside them we clamp. */
export const HEARTBEAT_INTERVAL_BOUNDS = { min: 100, max: 300_000 } as const;
/** The longest reconnect spread (Welcome/Ack.reconnect_spread_ms) we accept; beyond it we clamp. */
export const MAX_RECONNECT_SPREAD_MS = 120_000;
/** Longest delay setTimeout takes; a longer one fires after 1 ms (a reconnect storm). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface HelloContent {
  hostName: string;
  agentVersion: string;
  factsJson: string;
  factsFingerprint: string;
  startedAtMs: number;
  /** Revision of the cached policy bundle ("" = none). */
  bundleRevision?: string;
}

/** Where the link keeps its sequence numbers so they survive restarts. */
export interface SequenceStore {
  sequences(): { lastAgentSeq: number; lastControllerSeq: number };
  saveAgentSeq(seq: number): void;
  saveControllerSeq(seq: number): void;
}

type AgentBody = Omit<AgentMessage, "seq" | "ack" | "body">;

/**
 * An outbox entry: a Report or a DriftEvent carrying its event_seq, in the recorded
 * (protocol-0) shape; `sendEvent` converts it to the stream's protocol.
 */
export type EventBody = { report: Report } | { drift: DriftEvent };

/**
 * What the agent does with controller messages beyond the link's own (welcome, ackOnly,
 * goodbye). Handlers run synchronously in message order; a handler that throws resets the
 * stream like any bad message.
 */
export interface LinkHandlers {
  /** After Welcome, once the link is READY: `lastEventSeq` = highest event stored by the controller. */
  onWelcome?(w: { lastEventSeq: number; sessionId: string }): void;
  onBundle?(bundle: PolicyBundle__Output): void;
  onEventsAck?(upToEventSeq: number): void;
  onCommand?(command: Command__Output): void;
  /** The controller refused this host's credentials (UNAUTHENTICATED / PERMISSION_DENIED); the link keeps retrying. */
  onRefused?(code: grpc.status, details: string): void;
}

/** One connection attempt: everything that must be torn down together. */
interface Attempt {
  client: AgentServiceClient;
  call: grpc.ClientDuplexStream<AgentMessage, ControllerMessage__Output>;
  timer: NodeJS.Timeout | undefined;
  lastMessageAt: number;
  done: boolean;
  ended: Promise<void>;
  markEnded: () => void;
}

/**
 * The agent's stream to the controller, driven by the pure state machine in link-state.ts.
 * Contract: after `start()` it keeps (re)connecting with jittered capped backoff until
 * `close()` or `drain()`, each attempt to the next controller of its list (controller-choice.ts:
 * a wait a controller asked for — Goodbye.retry_after_ms, its reconnect spread — delays only
 * the next attempt to that same controller, so a broken stream fails over to a replica after
 * the backoff alone); every message it sends is numbered and acknowledges the highest
 * controller message processed; a controller that stays silent past the heartbeat timeout
 * is treated as gone. Its timers never keep the process alive.
 */
export class ControllerLink {
  private status: LinkStatus = INITIAL_LINK_STATUS;
  private choice: ControllerChoice;
  /** The controller of the current attempt, or of the last one. */
  private current: HostPort;
  private attempt: Attempt | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastAgentSeq: number;
  private lastControllerSeq: number;
  private heartbeatIntervalMs = 10_000;
  private heartbeatTimeoutMs = 30_000;
  /** Window for the first reconnect after a welcomed stream breaks without Goodbye (from the controller). */
  private reconnectSpreadMs = 0;
  /** The protocol version of the current stream (Welcome.protocol_version); 0 until welcomed. */
  private protocol: ProtocolVersion = 0;
  private readonly listeners = new Set<(s: LinkStatus) => void>();
  private handlers: LinkHandlers = {};
  sessionId = "";

  constructor(
    private readonly options: LinkOptions,
    private readonly hello: () => HelloContent,
    private readonly seqs: SequenceStore,
    private readonly log: Logger,
  ) {
    this.choice = firstChoice(options.controllers.length);
    this.current = options.controllers[0]!;
    const s = seqs.sequences();
    this.lastAgentSeq = s.lastAgentSeq;
    this.lastControllerSeq = s.lastControllerSeq;
  }

  get state(): LinkStatus {
    return this.status;
  }

  /** The controller of the current attempt or stream, else of the last one (the first before any). */
  get controller(): HostPort {
    return this.current;
  }

  onState(listener: (s: LinkStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sets the handlers of bundle, eventsAck, command and welcome (replacing earlier ones). */
  handle(handlers: LinkHandlers): void {
    this.handlers = handlers;
  }

  start(): void {
    this.apply({ type: "start" });
    this.connect();
  }

  /**
   * Sends new facts if connected; returns false when not (the next Hello carries them). Facts
   * that break the facts contract (common/wire/facts-contract.ts) are logged, not sent, and
   * count as handled (true): resending them could only reset the stream.
   */
  sendFacts(factsJson: string, factsFingerprint: string): boolean {
    const a = this.attempt;
    if (!a || a.done || this.status.state !== "READY") return false;
    try {
      checkFactsJson(factsJson, "factsUpdate.factsJson");
    } catch (err) {
      // the controller would reset the stream for it; the facts stay unsent (the Hello sends none)
      this.log.error({ err: describeError(err) }, "facts break the facts contract; not sent");
      return true;
    }
    this.send(a, { factsUpdate: { factsJson, factsFingerprint } });
    return true;
  }

  /**
   * Tells the controller the agent's condition now (a Heartbeat carrying the Hello's `health`)
   * when READY; returns false when not (the next Hello carries it).
   */
  sendHealth(): boolean {
    const a = this.attempt;
    if (!a || a.done || this.status.state !== "READY") return false;
    this.send(a, { heartbeat: this.heartbeat() });
    return true;
  }

  /**
   * Sends a Report or DriftEvent (numbered like every message) when READY; returns false
   * when not (the outbox keeps it for the replay after the next Welcome).
   */
  sendEvent(body: EventBody): boolean {
    const a = this.attempt;
    if (!a || a.done || this.status.state !== "READY") return false;
    const p = this.protocol;
    this.send(
      a,
      "report" in body ? { report: reportForProtocol(body.report, p) } : { drift: driftForProtocol(body.drift, p) },
    );
    return true;
  }

  /**
   * Sends the answer to a Command.plan when READY; returns false when not. Not durable: a
   * PlanResult lost with the stream is not replayed (the controller asks again).
   */
  sendPlanResult(result: PlanResult): boolean {
    const a = this.attempt;
    if (!a || a.done || this.status.state !== "READY") return false;
    const p = this.protocol;
    this.send(a, {
      planResult: { ...result, resources: (result.resources ?? []).map((o) => outcomeForProtocol(o, p)) },
    });
    return true;
  }

  /** Half-closes the stream and waits (bounded) for the controller to end it: a clean goodbye. */
  async drain(timeoutMs = 2_000): Promise<void> {
    const a = this.attempt;
    this.shutdown();
    if (!a || a.done) return;
    a.call.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([a.ended, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.teardown(a);
  }

  /** Stops at once: cancels the stream without waiting. */
  close(): void {
    const a = this.attempt;
    this.shutdown();
    if (a) this.teardown(a);
  }

  private shutdown(): void {
    clearTimeout(this.retryTimer);
    this.apply({ type: "shutdown" });
  }

  private apply(e: LinkEvent): void {
    const before = this.status.state;
    this.status = transition(this.status, e);
    if (this.status.state !== before) for (const l of this.listeners) l(this.status);
  }

  private connect(): void {
    const { insecure, welcomeTimeoutMs, credentials } = this.options;
    const controller = this.options.controllers[this.choice.index]!;
    this.current = controller;
    const target = formatHostPort(controller);
    let client: AgentServiceClient;
    try {
      // secure: an own subchannel pool, so a renewed certificate never rides an old connection
      client = credentials
        ? new (agentSideProto().AgentService)(target, credentials(), {
            ...CLIENT_CHANNEL_OPTIONS,
            "grpc.use_local_subchannel_pool": 1,
          })
        : new (agentSideProto().AgentService)(target, channelCredentials({ insecure }), CLIENT_CHANNEL_OPTIONS);
    } catch (err) {
      // Bad credentials are not transient: fail loudly, but keep the state machine honest.
      this.log.error({ err: describeError(err), controller: target }, "cannot create controller client");
      this.failed(describeError(err), 0);
      return;
    }
    const call = client.Connect();
    let markEnded!: () => void;
    const ended = new Promise<void>((r) => (markEnded = r));
    const a: Attempt = { client, call, timer: undefined, lastMessageAt: Date.now(), done: false, ended, markEnded };
    this.attempt = a;
    a.timer = setTimeout(
      () => this.fail(a, `no welcome from ${target} within ${welcomeTimeoutMs} ms`),
      welcomeTimeoutMs,
    );
    a.timer.unref();
    call.on("data", (msg: ControllerMessage__Output) => {
      try {
        this.onMessage(a, msg);
      } catch (err) {
        this.log.warn({ err: describeError(err) }, "bad message from controller; resetting the stream");
        this.fail(a, `bad message from controller: ${describeError(err)}`);
      }
    });
    call.on("error", (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.PERMISSION_DENIED) {
        this.log.error(
          { controller: target, code: grpc.status[err.code], details: err.details },
          "the controller refused this host (certificate revoked or expired, or the Hello names another host); enrol again with a new token: virtfleet agent --token …",
        );
        try {
          this.handlers.onRefused?.(err.code, err.details);
        } catch (e) {
          this.log.error({ err: describeError(e) }, "refusal handler failed");
        }
      }
      this.fail(a, `stream to ${target} failed: ${err.details || err.message}`);
    });
    call.on("end", () => this.fail(a, `controller ${target} ended the stream`));
    call.on("status", () => a.markEnded());
    call.on("close", () => a.markEnded());
    const h = this.hello();
    this.protocol = 0;
    this.send(a, {
      hello: {
        hostName: h.hostName,
        agentVersion: h.agentVersion,
        factsJson: this.factsForHello(h.factsJson),
        factsFingerprint: h.factsFingerprint,
        lastControllerSeq: this.lastControllerSeq,
        startedAtMs: h.startedAtMs,
        bundleRevision: h.bundleRevision ?? "",
        protocolVersion: PROTOCOL_VERSION,
        health: this.options.health?.(),
      },
    });
  }

  /**
   * Facts that break the facts contract (common/wire/facts-contract.ts) would have the Hello
   * refused on every attempt; the agent sends an empty object instead and says why.
   */
  private factsForHello(factsJson: string): string {
    try {
      return checkFactsJson(factsJson, "hello.factsJson");
    } catch (err) {
      this.log.error({ err: describeError(err) }, "facts break the facts contract; sending none");
      return "{}";
    }
  }

  private onMessage(a: Attempt, msg: ControllerMessage__Output): void {
    if (a.done) return;
    if (!msg.body) throw new ProtocolError("controller message has no body");
    if (!Number.isSafeInteger(msg.seq) || msg.seq <= this.lastControllerSeq) {
      throw new ProtocolError(`controller seq ${msg.seq} does not increase (last was ${this.lastControllerSeq})`);
    }
    if (!Number.isSafeInteger(msg.ack) || msg.ack > this.lastAgentSeq) {
      throw new ProtocolError(`controller acks agent seq ${msg.ack}, but only ${this.lastAgentSeq} were sent`);
    }
    this.lastControllerSeq = msg.seq;
    this.seqs.saveControllerSeq(msg.seq);
    a.lastMessageAt = Date.now();
    // While draining, acks still count (the outbox may delete); anything else is ignored.
    if (
      this.status.state === "SHUTDOWN" &&
      msg.body !== "eventsAck" &&
      msg.body !== "goodbye" &&
      msg.body !== "ackOnly"
    )
      return;
    switch (msg.body) {
      case "welcome": {
        if (this.status.state !== "CONNECTING") throw new ProtocolError("welcome sent twice on one stream");
        const w = msg.welcome!;
        const clamp = (v: number) =>
          Math.min(HEARTBEAT_INTERVAL_BOUNDS.max, Math.max(HEARTBEAT_INTERVAL_BOUNDS.min, v));
        this.heartbeatIntervalMs = clamp(w.heartbeatIntervalMs);
        this.heartbeatTimeoutMs = Math.max(clamp(w.heartbeatTimeoutMs), 2 * this.heartbeatIntervalMs);
        this.sessionId = w.sessionId;
        // A controller may not choose a version above ours; one that does is read as ours.
        this.protocol = negotiateProtocol(w.protocolVersion);
        this.setReconnectSpread(w.reconnectSpreadMs);
        clearTimeout(a.timer);
        a.timer = setInterval(() => this.tick(a), this.heartbeatIntervalMs);
        a.timer.unref();
        this.apply({ type: "welcome" });
        this.log.info(
          {
            controller: formatHostPort(this.current),
            session: w.sessionId,
            controllerVersion: w.controllerVersion,
            protocol: this.protocol,
            heartbeatMs: this.heartbeatIntervalMs,
          },
          "connected to controller",
        );
        this.handlers.onWelcome?.({ lastEventSeq: w.lastEventSeq, sessionId: w.sessionId });
        break;
      }
      case "bundle":
        this.requireReady("bundle");
        this.handlers.onBundle?.(msg.bundle!);
        break;
      case "eventsAck": {
        this.requireReady("eventsAck");
        const upTo = msg.eventsAck!.upToEventSeq;
        if (!Number.isSafeInteger(upTo) || upTo < 0)
          throw new ProtocolError(`eventsAck.upToEventSeq ${upTo} is not a non-negative integer`);
        this.handlers.onEventsAck?.(upTo);
        break;
      }
      case "command":
        this.requireReady("command");
        this.handlers.onCommand?.(msg.command!);
        break;
      case "ackOnly":
        if (msg.ackOnly!.reconnectSpreadMs > 0) this.setReconnectSpread(msg.ackOnly!.reconnectSpreadMs);
        break;
      case "goodbye": {
        const g = msg.goodbye!;
        this.log.info({ reason: g.reason, retryAfterMs: g.retryAfterMs }, "controller said goodbye");
        this.fail(
          a,
          `controller said goodbye: ${g.reason}`,
          Number.isFinite(g.retryAfterMs) ? Math.min(MAX_TIMER_MS, Math.max(0, g.retryAfterMs)) : 0,
        );
        break;
      }
    }
  }

  private requireReady(body: string): void {
    if (this.status.state !== "READY" && this.status.state !== "SHUTDOWN")
      throw new ProtocolError(`${body} received before welcome`);
  }

  /** Each heartbeat interval: give up on a silent controller, else send a heartbeat. */
  private tick(a: Attempt): void {
    const silentFor = Date.now() - a.lastMessageAt;
    if (silentFor > this.heartbeatTimeoutMs) {
      this.fail(a, `controller silent for ${silentFor} ms (timeout ${this.heartbeatTimeoutMs} ms)`);
      return;
    }
    try {
      this.send(a, { heartbeat: this.heartbeat() });
    } catch (err) {
      // e.g. the sequence could not be saved: never throw into the event loop
      this.log.error({ err: describeError(err) }, "cannot send heartbeat; resetting the stream");
      this.fail(a, `cannot send heartbeat: ${describeError(err)}`);
    }
  }

  /**
   * A Heartbeat: the whole condition every time (a controller reads an absent field as "false"
   * or "0", so a health-change heartbeat without libvirt_unreachable would clear it).
   */
  private heartbeat(): NonNullable<AgentMessage["heartbeat"]> {
    return {
      sentAtMs: Date.now(),
      libvirtUnreachable: this.options.libvirtUnreachable?.() ?? false,
      health: this.options.health?.(),
      outboxEntries: this.outboxEntries(),
    };
  }

  /** The outbox backlog for a Heartbeat: never throws (an unreadable count is sent as 0). */
  private outboxEntries(): number {
    try {
      return Math.max(0, Math.min(0xffff_ffff, Math.trunc(this.options.outboxEntries?.() ?? 0)));
    } catch {
      return 0;
    }
  }

  private send(a: Attempt, body: AgentBody): void {
    if (a.done) return;
    this.lastAgentSeq += 1;
    this.seqs.saveAgentSeq(this.lastAgentSeq);
    a.call.write({ seq: this.lastAgentSeq, ack: this.lastControllerSeq, ...body });
  }

  private setReconnectSpread(ms: number): void {
    this.reconnectSpreadMs = Number.isFinite(ms) ? Math.min(MAX_RECONNECT_SPREAD_MS, Math.max(0, ms)) : 0;
  }

  /**
   * Ends attempt `a` and schedules the next one. The controller it was on is not called again
   * before `retryAfterMs` when it named it (Goodbye); when a welcomed stream breaks without one
   * (`undefined`), before a random share of that controller's reconnect spread, so a fleet that
   * loses a crashed controller all at once comes back to it spread out, as after a Goodbye. The
   * next attempt goes to the next controller of the list (controller-choice.ts).
   */
  private fail(a: Attempt, reason: string, retryAfterMs?: number): void {
    if (a.done) return;
    this.teardown(a);
    if (this.status.state === "SHUTDOWN") return;
    if (retryAfterMs === undefined)
      retryAfterMs =
        this.status.state === "READY" ? Math.round((this.options.random ?? Math.random)() * this.reconnectSpreadMs) : 0;
    this.failed(reason, retryAfterMs);
  }

  /**
   * The current attempt failed (CONNECTING or READY → TRANSIENT_FAILURE): its controller asked
   * for `controllerWaitMs`; move to the next controller and schedule the attempt there, after
   * the backoff and at least what that controller asked for earlier.
   */
  private failed(reason: string, controllerWaitMs: number): void {
    const now = performance.now(); // monotonic: a clock step must not stretch a wait
    const next = afterFailure(this.choice, now, controllerWaitMs);
    this.apply({ type: "failure", reason, retryAfterMs: waitForChosen(next, now) });
    this.choice = next;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = Math.min(
      MAX_TIMER_MS,
      Math.max(this.status.retryAfterMs, backoffDelay(this.status.attempt - 1, this.options.backoff)),
    );
    this.log.warn(
      {
        reason: this.status.lastError,
        attempt: this.status.attempt,
        retryInMs: delay,
        controller: formatHostPort(this.current),
        next: formatHostPort(this.options.controllers[this.choice.index]!),
      },
      "controller link down; will retry",
    );
    this.retryTimer = setTimeout(() => {
      if (this.status.state !== "TRANSIENT_FAILURE") return;
      this.apply({ type: "retry" });
      try {
        this.connect();
      } catch (err) {
        // e.g. Hello's sequence could not be saved: never throw into the event loop; retry later
        this.log.error({ err: describeError(err) }, "connection attempt failed");
        const a = this.attempt;
        if (a && !a.done) this.fail(a, `connection attempt failed: ${describeError(err)}`);
        else if (this.state.state === "CONNECTING") this.failed(describeError(err), 0);
      }
    }, delay);
    this.retryTimer.unref();
  }

  private teardown(a: Attempt): void {
    a.done = true;
    clearTimeout(a.timer);
    clearInterval(a.timer);
    a.call.cancel();
    a.client.close();
    a.markEnded();
    if (this.attempt === a) this.attempt = undefined;
  }
}

export const DEFAULT_LINK_BACKOFF = DEFAULT_BACKOFF;
