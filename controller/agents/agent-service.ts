import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { AgentServiceHandlers } from "../../generated/proto/fleet/v1/AgentService.js";
import type { ControllerMessage } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import { describeError, ProtocolError, VERSION, type Logger, type Queryable } from "../../common/index.js";
import type { HostConditions, HostStore } from "../hosts/index.js";
import { AgentSession } from "./agent-session.js";
import {
  validateEnvelope,
  validateFactsJson,
  validateFingerprint,
  validateHello,
  validatePlanResult,
  degradedReasonOf,
  type ValidPlanResult,
} from "../agent-messages/index.js";

export interface AgentServiceOptions {
  /** Interval the agents are told to heartbeat at. */
  heartbeatIntervalMs: number;
  /** A connected host with no message for this long is declared disconnected. */
  heartbeatTimeoutMs: number;
  /** A stream that has not sent its Hello within this long is closed. */
  helloTimeoutMs: number;
  /** How often buffered liveness is written to the store. */
  flushIntervalMs: number;
  /**
   * Secure mode: the host a stream speaks for, from its verified client certificate (and
   * until when that certificate is valid). Absent with --insecure: the Hello names the host.
   */
  authenticate?: (call: ConnectCall) => StreamIdentity;
  /** Where agents' own condition (AgentHealth) is kept for the views. */
  conditions?: HostConditions;
  /**
   * This controller replica's name, recorded as the holder of each stream it accepts
   * (hosts.replica) and required by the disconnect it records when the stream ends; '' (the
   * default) for a single SQLite controller.
   */
  replica?: string;
}

/** Who a stream's client certificate names, or why it names nobody. */
export type StreamIdentity = { ok: true; host: string; notAfter: number } | { ok: false; reason: string };

/** Hellos admitted per event-loop turn, in one store transaction. */
export const HELLO_BATCH = 100;
/**
 * A Hello waits at most this long for others to share its commit (each commit is an fsync,
 * ~1 ms here: committing every Hello alone would spend the event loop on fsyncs in a storm).
 */
export const HELLO_BATCH_DELAY_MS = 10;
/**
 * Hellos that may wait for admission; past this a new one is answered Goodbye with a
 * retry_after_ms (RETRY_AFTER_MIN_MS plus RETRY_AFTER_PER_QUEUED_MS per waiting Hello, at
 * most RETRY_AFTER_SPREAD_MAX_MS more, at random), well inside the agent's 30 s Welcome deadline.
 */
export const MAX_QUEUED_HELLOS = 2_000;
const RETRY_AFTER_MIN_MS = 1_000;
const RETRY_AFTER_PER_QUEUED_MS = 5;
const RETRY_AFTER_SPREAD_MAX_MS = 20_000;
/**
 * At shutdown each agent is told to come back after RECONNECT_MIN_MS plus a random share of
 * RECONNECT_SPREAD_PER_AGENT_MS per connected agent (at most RECONNECT_SPREAD_MAX_MS): the
 * next controller then admits ~250 agents/s instead of every agent at once. A TLS handshake
 * costs ~3 ms of controller CPU here (docs/design/scale.md); a storm of them all at once
 * outlasts the agents' Welcome deadline and every retry repeats the handshake.
 */
export const RECONNECT_MIN_MS = 1_000;
/**
 * When the store cannot write (disk full or failing), a stream whose Hello or events could not
 * be recorded is closed with a Goodbye asking the agent to wait STORE_FAILURE_RETRY_MIN_MS
 * plus up to STORE_FAILURE_RETRY_JITTER_MS at random: no reconnect loop of full TLS handshakes
 * against a store that keeps failing. The agent keeps its events in its outbox meanwhile.
 */
export const STORE_FAILURE_RETRY_MIN_MS = 5_000;
export const STORE_FAILURE_RETRY_JITTER_MS = 5_000;

export function storeFailureRetryAfterMs(random: () => number = Math.random): number {
  return Math.round(STORE_FAILURE_RETRY_MIN_MS + random() * STORE_FAILURE_RETRY_JITTER_MS);
}
export const RECONNECT_SPREAD_PER_AGENT_MS = 4;
export const RECONNECT_SPREAD_MAX_MS = 40_000;

/**
 * Welcome/Ack.reconnect_spread_ms for `agents` connected agents: the window over which each
 * draws its first reconnect when its stream breaks without a Goodbye (a crash), the same
 * spread a shutdown Goodbye gives.
 */
export function reconnectSpreadMs(agents: number): number {
  return Math.min(RECONNECT_SPREAD_MAX_MS, agents * RECONNECT_SPREAD_PER_AGENT_MS);
}

/** The retry_after_ms a shutdown Goodbye gives one of `agents` connected agents. */
export function reconnectDelayMs(agents: number, random: () => number = Math.random): number {
  return Math.round(RECONNECT_MIN_MS + random() * reconnectSpreadMs(agents));
}
/**
 * A batch of queued Hellos in byte order of their host names (stable: two Hellos of one host
 * keep their order). The batch's transaction locks each host's row as it records its Hello
 * (PostgreSQL); every transaction that locks several hosts locks them in this order
 * (controller/hosts), so two never wait for each other in a cycle. Host names are ASCII
 * (validateHello), so comparing UTF-16 code units is byte order.
 */
function byHostName<T extends { msg: AgentMessage__Output }>(batch: T[]): T[] {
  const name = (m: AgentMessage__Output) => m.hello?.hostName ?? "";
  return [...batch].sort((a, b) => (name(a.msg) < name(b.msg) ? -1 : name(a.msg) > name(b.msg) ? 1 : 0));
}

/** Messages a stream may send after its Hello before the Welcome (an agent sends none). */
export const MAX_MESSAGES_BEFORE_WELCOME = 100;

export const DEFAULT_AGENT_SERVICE_OPTIONS: AgentServiceOptions = {
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 30_000,
  helloTimeoutMs: 10_000,
  flushIntervalMs: 2_000,
};

export type ConnectCall = grpc.ServerDuplexStream<AgentMessage__Output, ControllerMessage>;

/**
 * Extension points for what other controller parts do with a stream. Hooks run
 * synchronously in the stream's data handler (onReady: awaited, inside the Hello's store
 * transaction); a hook that throws ProtocolError resets that stream (logged), any other error
 * is logged and the stream reset with INTERNAL.
 */
export interface AgentStreamHooks {
  /**
   * After Welcome was sent (e.g. send the host's policy bundle when the agent's differs).
   * Runs inside the transaction that records the Hello: store calls given `tx` commit with it;
   * it must not wait for the database handle itself (that waits for this transaction).
   * `hello.factsJson`: the facts this Hello stored (in `tx`), when known.
   */
  onReady?(session: AgentSession, hello: { bundleRevision: string; factsJson?: string }, tx?: Queryable): unknown;
  /** A Report or DriftEvent from a connected host. */
  onEvent?(session: AgentSession, msg: AgentMessage__Output): void;
  /** The host's stream ended. */
  onClosed?(session: AgentSession): void;
  /** The host sent facts that differ from the stored ones (stored by then). */
  onFacts?(session: AgentSession): unknown;
  /** The answer to a Command.plan sent on this stream (validated; not durable, never acknowledged as an event). */
  onPlanResult?(session: AgentSession, result: ValidPlanResult): void;
}

/**
 * Serves AgentService.Connect. Contract:
 * - the first message must be a valid Hello; the host is then recorded connected and
 *   answered with Welcome;
 * - any invalid message ends that stream with INVALID_ARGUMENT (logged), never the process;
 * - a second stream for the same host replaces the first (the first gets Goodbye);
 * - secure mode (`authenticate`): the host is the one in the stream's client certificate; a
 *   Hello naming another host ends the stream with PERMISSION_DENIED (logged); a stream whose
 *   certificate expires is ended (the agent reconnects with its renewed one);
 * - one sweep timer (not one per agent) closes streams whose Hello or heartbeats are late.
 */
export class AgentService {
  private readonly connected = new Map<string, AgentSession>();
  private readonly pending = new Set<AgentSession>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly flushTimer: NodeJS.Timeout;

  private hooks: AgentStreamHooks[] = [];
  /** Hellos waiting for admission (admitHellos), and the turn that will admit them. */
  private readonly hellos: { session: AgentSession; msg: AgentMessage__Output }[] = [];
  private helloTurn: NodeJS.Immediate | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  /** Hellos answered "busy, retry later" since the start. */
  busyRefusals = 0;

  constructor(
    private readonly hosts: HostStore,
    private readonly log: Logger,
    readonly options: AgentServiceOptions = DEFAULT_AGENT_SERVICE_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {
    const sweepEvery = Math.max(100, Math.min(1_000, Math.floor(options.heartbeatTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.flushTimer = setInterval(() => void this.flushSafely(), options.flushIntervalMs);
    this.sweepTimer.unref();
    this.flushTimer.unref();
  }

  /** Adds hooks; they run in the order added. */
  use(hooks: AgentStreamHooks): void {
    this.hooks.push(hooks);
  }

  /** Every connected host's session. */
  sessions(): AgentSession[] {
    return [...this.connected.values()];
  }

  handlers(): AgentServiceHandlers {
    return { Connect: (call: ConnectCall) => this.onConnect(call) };
  }

  connectedHosts(): string[] {
    return [...this.connected.keys()];
  }

  /** Live view of a connected host's session, or undefined. */
  session(host: string): AgentSession | undefined {
    return this.connected.get(host);
  }

  /**
   * Ends `host`'s stream at once (and any not yet introduced stream whose certificate names it),
   * e.g. its certificate was revoked. Returns whether a connected stream was closed.
   */
  disconnect(host: string, reason: string, code: grpc.status = grpc.status.PERMISSION_DENIED): boolean {
    for (const s of [...this.pending]) if (s.certHost === host) this.end(s, reason, code);
    const session = this.connected.get(host);
    if (!session) return false;
    this.log.warn({ host, session: session.id, reason }, "disconnecting host");
    this.end(session, reason, code);
    return true;
  }

  /**
   * Secure mode: checks every stream's client certificate again (`authenticate`, e.g. after
   * revocations were re-read) and ends with PERMISSION_DENIED those it no longer accepts.
   * Returns the hosts (or certificate hosts, before their Hello) whose streams ended.
   */
  recheckCertificates(): string[] {
    const authenticate = this.options.authenticate;
    if (!authenticate) return [];
    const cut: string[] = [];
    for (const s of [...this.pending, ...this.connected.values()]) {
      if (s.closed) continue;
      const id = authenticate(s.call);
      if (id.ok) continue;
      const host = s.host ?? s.certHost ?? s.peer;
      this.log.warn(
        { host, session: s.id, reason: id.reason },
        "the stream's certificate is no longer accepted; closing it",
      );
      this.end(s, `refused: ${id.reason}`, grpc.status.PERMISSION_DENIED);
      cut.push(host);
    }
    return cut;
  }

  /**
   * Closes every stream with Goodbye and stops timers; resolves once their disconnects are
   * written. The Goodbyes spread the agents' reconnects to the next controller over time
   * (RECONNECT_SPREAD_PER_AGENT_MS).
   */
  shutdown(reason: string): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.flushTimer);
    clearImmediate(this.helloTurn);
    clearTimeout(this.helloTimer);
    this.hellos.length = 0;
    const sessions = [...this.pending, ...this.connected.values()];
    for (const s of sessions)
      this.end(s, reason, grpc.status.UNAVAILABLE, "controller shutting down", reconnectDelayMs(sessions.length));
    // Every host's disconnect (buffered by the store) in one commit.
    return this.flushSafely();
  }

  private onConnect(call: ConnectCall): void {
    const session = new AgentSession(randomUUID(), call, call.getPeer(), this.now(), 0);
    if (this.options.authenticate) {
      const id = this.options.authenticate(call);
      if (!id.ok) {
        // The transport gate turns these away first; this is the second lock.
        this.log.warn(
          { peer: session.peer, reason: id.reason },
          "agent stream without a valid agent certificate; refused",
        );
        session.close(`refused: ${id.reason}`, grpc.status.UNAUTHENTICATED);
        return;
      }
      session.certHost = id.host;
      session.certNotAfter = id.notAfter;
    }
    this.pending.add(session);
    call.on("data", (msg: AgentMessage__Output) => this.receive(session, msg));
    call.on("end", () => this.end(session, "agent closed the stream", grpc.status.OK));
    // After end() closed the stream from our side these report that close; lost() is idempotent.
    call.on("cancelled", () => this.gone(session, "stream cancelled"));
    call.on("error", (err) => this.gone(session, `stream error: ${describeError(err)}`));
    call.on("close", () => this.gone(session, "stream closed"));
  }

  /** Handles one message; a bad one (or a failing hook) ends this stream only. */
  private receive(session: AgentSession, msg: AgentMessage__Output): void {
    if (session.backlog) {
      // The Hello waits for admission; what follows it is handled after it, in order.
      if (session.backlog.length >= MAX_MESSAGES_BEFORE_WELCOME)
        return this.reject(
          session,
          new ProtocolError(`more than ${MAX_MESSAGES_BEFORE_WELCOME} messages before Welcome`),
        );
      session.backlog.push(msg);
      return;
    }
    try {
      this.onMessage(session, msg);
    } catch (err) {
      this.reject(session, err);
    }
  }

  private reject(session: AgentSession, err: unknown): void {
    const reason = describeError(err);
    this.log.warn(
      { peer: session.peer, host: session.host, session: session.id, err: reason },
      "rejected message from agent; closing its stream",
    );
    this.end(
      session,
      `rejected: ${reason}`,
      err instanceof ProtocolError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL,
    );
  }

  private onMessage(session: AgentSession, msg: AgentMessage__Output): void {
    if (session.closed) return;
    validateEnvelope(msg, session.lastAgentSeq, session.host === undefined ? undefined : session.lastControllerSeq);
    const now = this.now();
    session.lastMessageAt = now;
    if (session.host === undefined) {
      if (msg.body !== "hello") throw new ProtocolError(`first message must be hello, got ${msg.body}`);
      session.lastAgentSeq = msg.seq;
      this.queueHello(session, msg);
      return;
    }
    session.lastAgentSeq = msg.seq;
    switch (msg.body) {
      case "hello":
        throw new ProtocolError("hello sent twice on one stream");
      case "heartbeat":
        session.libvirtUnreachable = msg.heartbeat?.libvirtUnreachable === true;
        session.outboxEntries = msg.heartbeat?.outboxEntries ?? 0;
        if (msg.heartbeat?.health !== undefined) this.noteHealth(session.host, degradedReasonOf(msg.heartbeat.health));
        session.send({ ackOnly: { controllerTimeMs: now, reconnectSpreadMs: reconnectSpreadMs(this.connected.size) } });
        break;
      case "report":
      case "drift":
        for (const h of this.hooks) h.onEvent?.(session, msg);
        break;
      case "planResult": {
        const result = validatePlanResult(msg.planResult!, session.protocol);
        for (const h of this.hooks) h.onPlanResult?.(session, result);
        break;
      }
      case "factsUpdate": {
        const f = msg.factsUpdate!;
        const factsJson = validateFactsJson(f.factsJson, "factsUpdate.factsJson");
        const fingerprint = validateFingerprint(f.factsFingerprint, "factsUpdate.factsFingerprint");
        void this.onFactsUpdate(session, session.host, factsJson, fingerprint, now);
        break;
      }
    }
    this.hosts.touch(session.host, now, session.lastAgentSeq, session.lastControllerSeq);
  }

  /** Stores a FactsUpdate, then acknowledges it (and tells the hooks when the facts changed). */
  private async onFactsUpdate(
    session: AgentSession,
    host: string,
    factsJson: string,
    fingerprint: string,
    now: number,
  ): Promise<void> {
    try {
      const changed = await this.hosts.recordFacts(host, factsJson, fingerprint, now);
      this.log.info({ host, changed }, "facts updated");
      if (session.closed) return;
      session.send({ ackOnly: { controllerTimeMs: now, reconnectSpreadMs: reconnectSpreadMs(this.connected.size) } });
      if (changed) for (const h of this.hooks) h.onFacts?.(session);
    } catch (err) {
      this.reject(session, err);
    }
  }

  /**
   * Admission: Hellos are handled in batches of at most HELLO_BATCH (gathered for up to
   * HELLO_BATCH_DELAY_MS), each batch in one store transaction (every host's connect record,
   * facts and first bundle: one commit), one batch per event-loop turn, so a reconnect storm
   * of thousands of agents neither costs a commit each nor starves the connected streams.
   */
  private queueHello(session: AgentSession, msg: AgentMessage__Output): void {
    if (this.hellos.length >= MAX_QUEUED_HELLOS) {
      // Admission control: rather than let this agent wait past its Welcome deadline (and
      // retry into the same queue), tell it when to come back, spread over the backlog.
      const retryAfterMs = Math.round(
        RETRY_AFTER_MIN_MS +
          Math.random() * Math.min(RETRY_AFTER_SPREAD_MAX_MS, this.hellos.length * RETRY_AFTER_PER_QUEUED_MS),
      );
      this.busyRefusals++;
      this.end(
        session,
        `controller busy: ${this.hellos.length} agents waiting to be admitted; retry in ${retryAfterMs} ms`,
        grpc.status.UNAVAILABLE,
        undefined,
        retryAfterMs,
      );
      return;
    }
    session.backlog = [];
    this.hellos.push({ session, msg });
    if (this.hellos.length >= HELLO_BATCH) {
      clearTimeout(this.helloTimer);
      this.helloTimer = undefined;
      this.helloTurn ??= setImmediate(() => void this.admitHellos());
    } else if (!this.helloTurn) this.helloTimer ??= setTimeout(() => void this.admitHellos(), HELLO_BATCH_DELAY_MS);
  }

  private async admitHellos(): Promise<void> {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    this.helloTurn = undefined;
    const batch = this.hellos.splice(0, HELLO_BATCH);
    const admitted: AgentSession[] = [];
    try {
      await this.hosts.inTransaction(async (tx) => {
        for (const { session, msg } of byHostName(batch))
          if (await this.admit(session, msg, tx)) admitted.push(session);
      });
    } catch (err) {
      this.log.error(
        { err: describeError(err), hellos: batch.length },
        "could not record a batch of hellos; closing those streams (the agents reconnect)",
      );
      for (const { session } of batch)
        this.end(
          session,
          "controller could not record the hello (its store cannot write); reconnect later",
          grpc.status.UNAVAILABLE,
          undefined,
          storeFailureRetryAfterMs(),
        );
    }
    // What the streams sent after their Hello, once it is committed, in order.
    for (const session of admitted) {
      const backlog = session.backlog ?? [];
      session.backlog = undefined;
      if (!session.closed) for (const m of backlog) this.receive(session, m);
    }
    for (const { session } of batch) session.backlog = undefined;
    if (this.hellos.length > 0) this.helloTurn ??= setImmediate(() => void this.admitHellos());
  }

  /**
   * One queued Hello, in a savepoint of the batch's transaction: a Hello that fails rolls back
   * only its own writes and resets only its stream (on PostgreSQL a failed statement would
   * otherwise abort the whole batch's transaction). True when the stream is now connected.
   */
  private async admit(session: AgentSession, msg: AgentMessage__Output, tx: Queryable): Promise<boolean> {
    if (session.closed) return false;
    try {
      await tx.transaction((own) => this.onHello(session, msg, own));
    } catch (err) {
      this.reject(session, err);
      return false;
    }
    return !session.closed && session.host !== undefined;
  }

  private async onHello(session: AgentSession, msg: AgentMessage__Output, tx: Queryable): Promise<void> {
    const hello = validateHello(msg.hello!);
    if (session.certHost !== undefined && hello.hostName !== session.certHost) {
      this.log.warn(
        { peer: session.peer, session: session.id, certificateHost: session.certHost, helloHost: hello.hostName },
        "hello names another host than the stream's certificate; refused",
      );
      this.end(
        session,
        `hello names host "${hello.hostName}" but the client certificate is for "${session.certHost}"`,
        grpc.status.PERMISSION_DENIED,
      );
      return;
    }
    const now = this.now();
    const previous = this.connected.get(hello.hostName);
    if (previous && previous !== session) {
      this.log.warn(
        { host: hello.hostName, oldPeer: previous.peer, newPeer: session.peer },
        "host connected again; replacing its older stream",
      );
      this.end(previous, `replaced by a newer stream from ${session.peer}`, grpc.status.ABORTED);
    }
    const { created, host } = await this.hosts.recordHello(
      {
        name: hello.hostName,
        agentVersion: hello.agentVersion,
        factsJson: hello.factsJson,
        factsFingerprint: hello.factsFingerprint,
        sessionId: session.id,
        peer: session.peer,
        now,
        replica: this.options.replica ?? "",
      },
      tx,
    );
    session.host = hello.hostName;
    session.protocol = hello.protocol;
    this.noteHealth(hello.hostName, hello.degradedReason);
    session.lastControllerSeq = Math.max(host.lastControllerSeq, hello.lastControllerSeq);
    this.pending.delete(session);
    this.connected.set(hello.hostName, session);
    this.log.info(
      {
        host: hello.hostName,
        peer: session.peer,
        session: session.id,
        agentVersion: hello.agentVersion,
        protocol: hello.protocol,
        created,
      },
      created ? "new host enrolled" : "host connected",
    );
    session.send({
      welcome: {
        sessionId: session.id,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
        controllerVersion: VERSION,
        lastAgentSeq: Math.max(host.lastAgentSeq, msg.seq),
        lastEventSeq: host.lastEventSeq,
        reconnectSpreadMs: reconnectSpreadMs(this.connected.size),
        protocolVersion: session.protocol,
      },
    });
    this.hosts.touch(hello.hostName, now, msg.seq, session.lastControllerSeq);
    const ready = { bundleRevision: msg.hello!.bundleRevision, factsJson: hello.factsJson };
    for (const h of this.hooks) await h.onReady?.(session, ready, tx);
  }

  /** Ends a stream from our side (Goodbye + status) and records the disconnect. */
  private end(session: AgentSession, reason: string, code: grpc.status, goodbye = reason, retryAfterMs = 0): void {
    const wasOpen = !session.closed;
    this.lost(session, reason);
    if (wasOpen) session.close(goodbye, code, retryAfterMs);
  }

  /** The stream ended under us: nothing more can be sent on it. */
  private gone(session: AgentSession, reason: string): void {
    session.closed = true;
    this.lost(session, reason);
  }

  /** Forgets a stream that ended for any reason; marks its host disconnected once. */
  private lost(session: AgentSession, reason: string): void {
    this.pending.delete(session);
    const host = session.host;
    if (host === undefined || this.connected.get(host) !== session) return;
    this.connected.delete(host);
    this.options.conditions?.forgetAgent(host);
    for (const h of this.hooks) {
      try {
        h.onClosed?.(session);
      } catch (err) {
        this.log.error({ host, err: describeError(err) }, "stream close hook failed");
      }
    }
    try {
      this.hosts.markDisconnected(host, session.id, reason, this.now(), this.options.replica ?? "");
    } catch (err) {
      this.log.error({ host, err: describeError(err) }, "could not record disconnect");
    }
    this.log.info({ host, session: session.id, reason }, "host disconnected");
  }

  /** Records an agent's condition; logs when it changes. */
  private noteHealth(host: string, degradedReason: string): void {
    const c = this.options.conditions;
    if (!c) return;
    const before = c.agentDegradedReason(host);
    if (before === degradedReason) return;
    c.setAgentHealth(host, degradedReason);
    if (degradedReason) this.log.warn({ host, reason: degradedReason }, "host degraded");
    else this.log.info({ host }, "host no longer degraded");
  }

  private sweep(): void {
    const now = this.now();
    for (const s of this.pending) {
      // A stream whose Hello waits for admission (backlog set) did send it in time.
      if (s.backlog === undefined && now - s.openedAt > this.options.helloTimeoutMs) {
        this.log.warn({ peer: s.peer }, "stream sent no hello in time; closing it");
        this.end(
          s,
          "no hello in time",
          grpc.status.DEADLINE_EXCEEDED,
          `no hello within ${this.options.helloTimeoutMs} ms`,
        );
      }
    }
    for (const s of [...this.pending, ...this.connected.values()]) {
      if (s.certNotAfter !== undefined && now > s.certNotAfter) {
        this.log.info(
          { host: s.host ?? s.certHost, session: s.id },
          "the stream's client certificate expired; closing it (the agent reconnects with its renewed one)",
        );
        this.end(s, "client certificate expired; reconnect with the renewed certificate", grpc.status.UNAUTHENTICATED);
      }
    }
    for (const s of this.connected.values()) {
      const silentFor = now - s.lastMessageAt;
      if (silentFor > this.options.heartbeatTimeoutMs) {
        this.log.warn({ host: s.host, silentForMs: silentFor }, "missed heartbeats; declaring host disconnected");
        this.end(s, `heartbeat timeout (no message for ${silentFor} ms)`, grpc.status.UNAVAILABLE);
      }
    }
  }

  private flushSafely(): Promise<void> {
    return this.hosts.flush().catch((err: unknown) => {
      this.log.error({ err: describeError(err) }, "could not write host liveness to the store");
    });
  }
}
