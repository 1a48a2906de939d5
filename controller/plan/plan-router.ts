import { randomUUID } from "node:crypto";
import { describeError, type Logger } from "../../common/index.js";
import type { AgentSession } from "../agents/index.js";
import type { HostStore } from "../hosts/index.js";
import type { ReplicaSignals, Signal } from "../replicas/index.js";
import type { PlanAnswer, PlanBundle, PlanRequester } from "./plan-requester.js";
import { Batcher } from "./batcher.js";
import type { PlanRequestStore, StoredPlanRequest } from "./plan-request-store.js";
import { encodeAnswer, encodeBundle, parseStoredAnswer, parseStoredBundle } from "./stored-plan.js";

/** What a fleet plan asks of each target, wherever its stream is. */
export interface HostPlanner {
  /** Of `hosts`, those whose stream is connected now: on this replica or (replicas) another one. */
  reachable(hosts: readonly string[]): Promise<Set<string>>;
  /** `host`'s dry-run of `bundle` within `timeoutMs`. Never rejects; settles once. */
  plan(host: string, bundle: PlanBundle, timeoutMs: number): Promise<PlanAnswer>;
}

/** How often a replica waiting for answers from others re-reads them (a `plan_answer` signal may be lost). */
export const REMOTE_PLAN_POLL_MS = 1_000;
/** Requests are deleted this long past their deadline when their requester did not (it died). */
export const STALE_PLAN_REQUEST_MS = 60_000;
/** The requester's own pruning of stale requests runs at most this often. */
const PRUNE_EVERY_MS = 60_000;
/** Longest wait setTimeout takes (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** With replicas (PostgreSQL): how requests reach the replica holding a stream. */
export interface PlanRouterReplicas {
  signals: ReplicaSignals;
  hosts: Pick<HostStore, "streamsOf">;
  store: PlanRequestStore;
  /** The store's clock (StoreClock): deadlines are compared on every replica. */
  now: () => number;
  /** Default REMOTE_PLAN_POLL_MS. */
  pollMs?: number;
}

export interface PlanRouterOptions {
  agents: { session(host: string): AgentSession | undefined };
  requester: PlanRequester;
  /** Absent: one controller; only the streams here are asked (no table, no signal). */
  replicas?: PlanRouterReplicas;
  log: Logger;
}

interface Waiting {
  host: string;
  timer: NodeJS.Timeout;
  resolve: (answer: PlanAnswer) => void;
  /** Its row is committed (before that, a re-read finds nothing and means nothing). */
  stored: boolean;
}

interface Lookup {
  host: string;
  settle: (stream: { connected: boolean; replica: string } | undefined, err?: unknown) => void;
}

/** A request's id: `plan-<uuid>:<host>`; the host lets replicas that do not hold it skip it unread. */
const requestId = (host: string): string => `plan-${randomUUID()}:${host}`;
/** The host a request id names (undefined: not an id of this form). */
const hostOfRequest = (id: string): string | undefined => {
  const i = id.indexOf(":");
  return i < 0 ? undefined : id.slice(i + 1);
};

/**
 * The HostPlanner of one controller replica. Contract:
 * - a host whose stream is here is asked by the local PlanRequester (its contract holds);
 * - without replicas that is all: any other host is "offline";
 * - with replicas, a host the store shows connected on another replica: the request (bundle,
 *   deadline on the store clock) is stored in `plan_requests` and its id signalled (`plan`).
 *   The replica holding the stream (`start()` runs on every replica) asks its agent for the
 *   time left, stores the PlanAnswer once (the first answer wins) and signals `plan_answer`.
 *   The requester settles on that signal, on its poll every `pollMs` (a lost signal), or at
 *   the deadline: the stored answer (re-validated: unreadable → "error"), else "offline" when
 *   the store shows the stream no longer connected, else at the deadline "timeout". Then it
 *   deletes the row. Rows whose requester died are pruned past the deadline
 *   (STALE_PLAN_REQUEST_MS) by the next request here and by `prune()` (the leader's retention);
 * - a lost `plan` signal is recovered when the holder's signal connection comes back
 *   (`onResync`: it answers the open requests for its streams); otherwise it is a "timeout";
 * - store errors give that host an "error" answer, never a rejection;
 * - the store work is batched (Batcher): plans asked together look their streams up in one
 *   read, are inserted in one transaction and signalled in one `plan` signal; answers heard together are read in one
 *   statement; settled rows are deleted together.
 */
export class PlanRouter implements HostPlanner {
  private readonly waiting = new Map<string, Waiting>();
  /** Requests this replica is answering for another (ids): a repeated signal asks once. */
  private readonly answering = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastPrune = Number.NEGATIVE_INFINITY;
  /** Requester: hosts whose stream to look up (one read for the plans asked together). */
  private readonly lookups = new Batcher<Lookup>((items) => this.lookUp(items));
  /** Requester: rows to insert and signal. */
  private readonly submits = new Batcher<StoredPlanRequest>((rows) => this.submit(rows));
  /** Requester: ids whose `plan_answer` was heard. */
  private readonly heard = new Batcher<string>((ids) => this.check(ids));
  /** Requester: settled ids whose rows go. */
  private readonly deletes = new Batcher<string>((ids) => this.deleteRows(ids));
  /** Holder: ids of requests for streams here, to read and answer. */
  private readonly incoming = new Batcher<string>((ids) => this.readRequests(ids));
  /** Holder: ids answered, to signal. */
  private readonly answered = new Batcher<string>((ids) => this.signalAnswers(ids));

  constructor(private readonly o: PlanRouterOptions) {}

  /** Replicas: subscribes to the other replicas' requests and to the answers. */
  start(): void {
    const r = this.o.replicas;
    if (!r) return;
    this.unsubscribe.push(
      r.signals.subscribe("plan", (s) => this.onRequests(s)),
      r.signals.subscribe("plan_answer", (s) => this.heard.add(...s.ids.filter((id) => this.waiting.has(id)))),
      r.signals.onResync(() => {
        void this.check(this.storedIds());
        void this.answerOpen();
      }),
    );
  }

  /** Unsubscribes; requests still waiting settle "offline" (controller shutdown). */
  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const id of [...this.waiting.keys()]) this.settle(id, { status: "offline" });
  }

  /** Requests this replica waits for on other replicas now. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  async reachable(hosts: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const elsewhere: string[] = [];
    for (const h of hosts) this.o.agents.session(h) ? out.add(h) : elsewhere.push(h);
    const r = this.o.replicas;
    if (!r || elsewhere.length === 0) return out;
    const streams = await r.hosts.streamsOf(elsewhere);
    for (const h of elsewhere) if (streams.get(h)?.connected) out.add(h);
    return out;
  }

  async plan(host: string, bundle: PlanBundle, timeoutMs: number): Promise<PlanAnswer> {
    const session = this.o.agents.session(host);
    if (session) return this.o.requester.request(session, bundle, timeoutMs);
    const r = this.o.replicas;
    if (!r) return { status: "offline" };
    try {
      const stream = await new Promise<{ connected: boolean; replica: string } | undefined>((resolve, reject) =>
        this.lookups.add({ host, settle: (found, err) => (err === undefined ? resolve(found) : reject(err)) }),
      );
      if (!stream?.connected || stream.replica === r.signals.replica) return { status: "offline" };
      return await this.remote(r, host, bundle, timeoutMs);
    } catch (err) {
      this.o.log.warn(
        { host, err: describeError(err) },
        "cannot ask the controller replica holding the stream to plan",
      );
      return { status: "error", error: `cannot ask the controller replica holding the stream: ${describeError(err)}` };
    }
  }

  /** Deletes requests past their deadline by STALE_PLAN_REQUEST_MS (their requester died); how many. */
  async prune(): Promise<number> {
    const r = this.o.replicas;
    if (!r) return 0;
    this.lastPrune = r.now();
    return r.store.prune(r.now() - STALE_PLAN_REQUEST_MS);
  }

  private remote(r: PlanRouterReplicas, host: string, bundle: PlanBundle, timeoutMs: number): Promise<PlanAnswer> {
    if (r.now() - this.lastPrune >= PRUNE_EVERY_MS)
      this.prune().catch((err: unknown) =>
        this.o.log.warn({ err: describeError(err) }, "pruning stale plan requests failed"),
      );
    const id = requestId(host);
    const wait = Math.min(MAX_TIMER_MS, Math.max(1, Number.isFinite(timeoutMs) ? Math.floor(timeoutMs) : MAX_TIMER_MS));
    // waiting before it is stored: an answer can never arrive unheard
    const answer = new Promise<PlanAnswer>((resolve) => {
      const timer = setTimeout(() => void this.expire(id), wait);
      timer.unref();
      this.waiting.set(id, { host, timer, resolve, stored: false });
    });
    this.submits.add({
      id,
      host,
      bundleJson: encodeBundle(bundle),
      requestedBy: r.signals.replica,
      deadline: r.now() + wait,
      answerJson: null,
    });
    this.schedulePoll(r);
    this.o.log.debug(
      { host, request: id, revision: bundle.revision },
      "plan requested from another controller replica",
    );
    return answer;
  }

  private async lookUp(items: Lookup[]): Promise<void> {
    try {
      const streams = await this.o.replicas!.hosts.streamsOf([...new Set(items.map((i) => i.host))]);
      for (const i of items) i.settle(streams.get(i.host));
    } catch (err) {
      for (const i of items) i.settle(undefined, err ?? new Error("stream lookup failed"));
    }
  }

  /** Stores requests made together in one transaction and signals them in one `plan` signal. */
  private async submit(rows: StoredPlanRequest[]): Promise<void> {
    const r = this.o.replicas;
    const live = rows.filter((row) => this.waiting.has(row.id));
    if (!r || live.length === 0) return;
    try {
      await r.store.insertMany(live, r.now());
    } catch (err) {
      this.o.log.warn({ requests: live.length, err: describeError(err) }, "cannot store plan requests");
      for (const row of live)
        this.settle(row.id, {
          status: "error",
          error: `cannot ask the controller replica holding the stream: ${describeError(err)}`,
        });
      return;
    }
    for (const row of live) {
      const w = this.waiting.get(row.id);
      if (w) w.stored = true;
    }
    try {
      await r.signals.publish(
        "plan",
        live.map((row) => row.id),
      );
    } catch (err) {
      // the holders' resync may still carry them; the deadline bounds the wait
      this.o.log.warn({ err: describeError(err) }, "cannot signal plan requests; waiting for their deadline");
    }
  }

  /** Settles `id` once: resolves its caller and deletes its row. */
  private settle(id: string, answer: PlanAnswer): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(answer);
    if (this.o.replicas) this.deletes.add(id);
    if (this.waiting.size === 0) {
      clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  private async deleteRows(ids: string[]): Promise<void> {
    try {
      await this.o.replicas?.store.deleteMany(ids);
    } catch (err) {
      this.o.log.warn(
        { requests: ids.length, err: describeError(err) },
        "cannot delete settled plan requests (pruned later)",
      );
    }
  }

  private storedIds(): string[] {
    return [...this.waiting].flatMap(([id, w]) => (w.stored ? [id] : []));
  }

  /** The deadline: the stored answer if there is one, else "timeout". */
  private async expire(id: string): Promise<void> {
    const r = this.o.replicas;
    let answer: PlanAnswer = { status: "timeout" };
    try {
      const row = this.waiting.get(id)?.stored ? await r?.store.get(id) : undefined;
      if (row?.answerJson != null) answer = parseStoredAnswer(row.answerJson);
    } catch (err) {
      this.o.log.debug({ request: id, err: describeError(err) }, "cannot read a plan request at its deadline");
    }
    if (answer.status === "timeout")
      this.o.log.info(
        { host: this.waiting.get(id)?.host, request: id },
        "plan request to another controller replica timed out",
      );
    this.settle(id, answer);
  }

  /**
   * Re-reads `ids` (those waiting here and stored): answered ones settle with their answer;
   * unanswered ones whose host the store shows connected nowhere settle "offline" (streams
   * read first: an answer stored before the stream ended is still seen).
   */
  private async check(ids: readonly string[]): Promise<void> {
    const r = this.o.replicas;
    ids = ids.filter((id) => this.waiting.get(id)?.stored);
    if (!r || ids.length === 0) return;
    try {
      const hosts = [...new Set(ids.flatMap((id) => this.waiting.get(id)?.host ?? []))];
      const streams = await r.hosts.streamsOf(hosts);
      const rows = await r.store.getMany(ids);
      for (const id of ids) {
        const w = this.waiting.get(id);
        if (!w) continue;
        const row = rows.get(id);
        if (row?.answerJson != null) this.settle(id, parseStoredAnswer(row.answerJson));
        else if (!row)
          this.settle(id, { status: "error", error: "the plan request was deleted before it was answered" });
        else if (!streams.get(w.host)?.connected) this.settle(id, { status: "offline" });
      }
    } catch (err) {
      this.o.log.debug({ err: describeError(err) }, "cannot re-read plan requests (tried again at the next poll)");
    }
  }

  private schedulePoll(r: PlanRouterReplicas): void {
    if (this.pollTimer) return;
    this.pollTimer = setTimeout(async () => {
      this.pollTimer = undefined;
      if (this.polling) return this.schedulePoll(r);
      this.polling = true;
      try {
        await this.check(this.storedIds());
      } finally {
        this.polling = false;
      }
      if (this.waiting.size > 0) this.schedulePoll(r);
    }, r.pollMs ?? REMOTE_PLAN_POLL_MS);
    this.pollTimer.unref();
  }

  /** Another replica's requests: those for streams here are read (together) and answered. */
  private onRequests(signal: Signal): void {
    const r = this.o.replicas;
    if (!r || signal.from === r.signals.replica) return;
    this.incoming.add(
      ...signal.ids.filter((id) => {
        const host = hostOfRequest(id);
        return !this.answering.has(id) && (host === undefined || this.o.agents.session(host) !== undefined);
      }),
    );
  }

  private async readRequests(ids: string[]): Promise<void> {
    const r = this.o.replicas;
    if (!r) return;
    try {
      const rows = await r.store.getMany(ids);
      for (const row of rows.values()) void this.answer(r, row);
    } catch (err) {
      this.o.log.warn({ err: describeError(err) }, "cannot read the plan requests of another controller replica");
    }
  }

  private async signalAnswers(ids: string[]): Promise<void> {
    try {
      await this.o.replicas?.signals.publish("plan_answer", ids);
    } catch (err) {
      // the requester's poll reads them
      this.o.log.warn({ err: describeError(err) }, "cannot signal plan answers");
    }
  }

  /** After a lost signal connection: the open requests for streams here (their signal may be lost). */
  private async answerOpen(): Promise<void> {
    const r = this.o.replicas;
    if (!r) return;
    try {
      for (const row of await r.store.open(r.now()))
        if (row.requestedBy !== r.signals.replica && this.o.agents.session(row.host)) void this.answer(r, row);
    } catch (err) {
      this.o.log.warn({ err: describeError(err) }, "cannot read the open plan requests");
    }
  }

  /** Asks the agent here for `row`'s plan, stores the answer and signals it. */
  private async answer(r: PlanRouterReplicas, row: StoredPlanRequest): Promise<void> {
    if (row.answerJson !== null || this.answering.has(row.id)) return;
    const session = this.o.agents.session(row.host);
    if (!session) return; // not held here
    const left = row.deadline - r.now();
    if (left <= 0) return;
    this.answering.add(row.id);
    try {
      let answer: PlanAnswer;
      try {
        answer = await this.o.requester.request(session, parseStoredBundle(row.bundleJson), left);
      } catch (err) {
        answer = { status: "error", error: describeError(err) };
      }
      if (await r.store.answer(row.id, encodeAnswer(answer), r.now())) {
        this.answered.add(row.id);
        this.o.log.debug(
          { host: row.host, request: row.id, for: row.requestedBy, status: answer.status },
          "plan answered for another controller replica",
        );
      }
    } catch (err) {
      this.o.log.warn({ host: row.host, request: row.id, err: describeError(err) }, "cannot store a plan answer");
    } finally {
      this.answering.delete(row.id);
    }
  }
}
