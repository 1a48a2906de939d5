import { EventEmitter } from "node:events";
import type pg from "pg";
import type { Logger, Queryable } from "../../common/index.js";
import type { PgDatabase } from "../../common/postgres/index.js";

/**
 * What one replica tells the others: something identified by `ids` changed in the store.
 * Channels carry identifiers only; the receiver re-reads the rows.
 * - `drift`: drift event ids stored (watchers and the dashboard show them);
 * - `bundle`: host names whose bundle changed (the replica holding the host's stream sends it);
 * - `policies`: revisions in force changed (ids: policy names);
 * - `revoke`: host names whose certificate was revoked (their streams are cut);
 * - `rollout`: names of policies whose newest rollout was saved (the leader's runner; followers re-read it);
 * - `ingest`: host names whose reports or drift events were stored (their compliance may have changed);
 * - `command`: `<verb>:<host>` for a command that needs a host's stream, decided on a replica
 *   that does not hold it (controller/agents StreamRelay; verbs: `resync`): the holder acts;
 * - `host`: a follower's agent streams, for the leader's rollout runner: `online:<host>`,
 *   `offline:<host>`, `delivered:<host>:<generation>`, `removed:<host>` (controller/rollout-runner
 *   replica-inputs.ts);
 * - `plan`: ids of `plan_requests` rows (`plan-<uuid>:<host>`), dry-runs asked of a host whose
 *   stream another replica holds (controller/plan PlanRouter): that replica asks its agent and
 *   stores the answer;
 * - `plan_answer`: ids of `plan_requests` rows just answered: the requesting replica reads them.
 * Channel names are lower case (LISTEN folds an unquoted name to lower case).
 */
export type SignalChannel =
  | "drift"
  | "bundle"
  | "policies"
  | "revoke"
  | "rollout"
  | "ingest"
  | "command"
  | "host"
  | "plan"
  | "plan_answer";
export const SIGNAL_CHANNELS: readonly SignalChannel[] = [
  "drift",
  "bundle",
  "policies",
  "revoke",
  "rollout",
  "ingest",
  "command",
  "host",
  "plan",
  "plan_answer",
];

export interface Signal {
  channel: SignalChannel;
  ids: string[];
  /** The replica that published it (a replica also hears its own). */
  from: string;
}

/**
 * Contract: `publish(channel, ids)` — called after the change committed — delivers to every
 * replica's subscribers, this one's included. `publish(channel, ids, tx)` inside the
 * transaction that makes the change instead: PgSignals' NOTIFY is then sent by that
 * transaction, so it is delivered when (and only if) it commits; LocalSignals delivers at
 * once (its subscribers' reads through the store handle wait for the open SQLite transaction). Delivery is at most once and can be lost (a
 * publisher that dies between its commit and its publish, a listener whose connection was
 * down): `onResync` listeners are told when a listening connection is back, and re-read what
 * they show.
 */
export interface ReplicaSignals {
  readonly replica: string;
  publish(channel: SignalChannel, ids: readonly string[], tx?: Queryable): Promise<void>;
  subscribe(channel: SignalChannel, listener: (signal: Signal) => void): () => void;
  onResync(listener: () => void): () => void;
  stop(): Promise<void>;
}

/** PostgreSQL's NOTIFY payload limit is 8,000 bytes: payloads stay under it. */
export const MAX_PAYLOAD_BYTES = 7_900;
const CHANNEL_PREFIX = "virtfleet_";

/** `ids` as JSON payloads `{"f":from,"i":[…]}` of at most MAX_PAYLOAD_BYTES each. */
export function payloads(from: string, ids: readonly string[]): string[] {
  const out: string[] = [];
  let batch: string[] = [];
  const head = JSON.stringify({ f: from, i: [] }).length;
  let size = head;
  for (const id of ids) {
    const cost = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (head + cost > MAX_PAYLOAD_BYTES) throw new RangeError(`an id of ${cost} bytes cannot be signalled`);
    if (size + cost > MAX_PAYLOAD_BYTES && batch.length) {
      out.push(JSON.stringify({ f: from, i: batch }));
      batch = [];
      size = head;
    }
    batch.push(id);
    size += cost;
  }
  if (batch.length) out.push(JSON.stringify({ f: from, i: batch }));
  return out;
}

/** One controller (SQLite): signals go to this process's subscribers, after the commit. */
export class LocalSignals implements ReplicaSignals {
  private readonly events = new EventEmitter().setMaxListeners(0);

  constructor(readonly replica = "local") {}

  async publish(channel: SignalChannel, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.events.emit(channel, { channel, ids: [...ids], from: this.replica } satisfies Signal);
  }

  subscribe(channel: SignalChannel, listener: (signal: Signal) => void): () => void {
    this.events.on(channel, listener);
    return () => this.events.off(channel, listener);
  }

  onResync(): () => void {
    return () => undefined;
  }

  async stop(): Promise<void> {
    this.events.removeAllListeners();
  }
}

export interface PgSignalsOptions {
  replica: string;
  /** How long to wait before reconnecting the listening connection (default 500 ms). */
  reconnectMs?: number;
  log?: Logger;
}

/**
 * LISTEN/NOTIFY between replicas: `pg_notify` on a pooled connection; one dedicated
 * connection per replica LISTENs on every channel (a pooled one would lose the LISTEN). When
 * it drops, it reconnects and tells `onResync` listeners.
 */
export class PgSignals implements ReplicaSignals {
  private readonly events = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: PgDatabase,
    private readonly options: PgSignalsOptions,
  ) {}

  get replica(): string {
    return this.options.replica;
  }

  /** Listening once it resolves. */
  static async start(db: PgDatabase, options: PgSignalsOptions): Promise<PgSignals> {
    const s = new PgSignals(db, options);
    await s.listen();
    return s;
  }

  async publish(channel: SignalChannel, ids: readonly string[], tx?: Queryable): Promise<void> {
    const on = tx ?? this.db;
    for (const p of payloads(this.replica, ids)) await on.get("SELECT pg_notify(?, ?)", [CHANNEL_PREFIX + channel, p]);
  }

  subscribe(channel: SignalChannel, listener: (signal: Signal) => void): () => void {
    this.events.on(channel, listener);
    return () => this.events.off(channel, listener);
  }

  onResync(listener: () => void): () => void {
    this.events.on("resync", listener);
    return () => this.events.off("resync", listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
    this.events.removeAllListeners();
  }

  private async listen(): Promise<void> {
    const client = await this.db.dedicatedClient(`virtfleet-signals-${this.replica}`);
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.options.log?.warn({ why }, "replica signals: listening connection lost; reconnecting");
      this.reconnect();
    };
    client.on("error", (err) => lost(err.message));
    client.on("end", () => lost("closed"));
    client.on("notification", (n) => this.deliver(n));
    for (const ch of SIGNAL_CHANNELS) await client.query(`LISTEN ${CHANNEL_PREFIX}${ch}`);
    this.client = client;
  }

  private reconnect(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.listen().then(
        () => this.events.emit("resync"),
        (err: unknown) => {
          this.options.log?.debug({ err }, "replica signals: reconnect failed");
          this.reconnect();
        },
      );
    }, this.options.reconnectMs ?? 500);
    this.timer.unref();
  }

  private deliver(n: pg.Notification): void {
    if (!n.channel.startsWith(CHANNEL_PREFIX) || !n.payload) return;
    const channel = n.channel.slice(CHANNEL_PREFIX.length) as SignalChannel;
    let body: { f?: unknown; i?: unknown };
    try {
      body = JSON.parse(n.payload) as typeof body;
    } catch {
      return;
    }
    if (typeof body.f !== "string" || !Array.isArray(body.i)) return;
    const ids = body.i.filter((x): x is string => typeof x === "string");
    this.events.emit(channel, { channel, ids, from: body.f } satisfies Signal);
  }
}
