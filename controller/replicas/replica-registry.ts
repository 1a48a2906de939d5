import { describeError, type Logger, type Queryable } from "../../common/index.js";
import { FencedError } from "./errors.js";
import type { Leadership } from "./leadership.js";

/** How often a replica says it is alive (controller_replicas.last_seen). */
export const REPLICA_HEARTBEAT_MS = 5_000;
/**
 * A replica not seen for this long (on the database's clock) is taken for dead: the leader
 * marks disconnected the hosts still shown connected to it. Six missed heartbeats: a replica
 * busy for a few seconds or a database failover is not declared dead.
 */
export const STALE_REPLICA_MS = 30_000;
/** How often the leader looks for dead replicas' hosts. */
export const STALE_SWEEP_MS = 10_000;

/** The time now in ms since the epoch, on the database's clock (replicas' own clocks may be off). */
const DB_NOW = {
  postgres: "(extract(epoch FROM clock_timestamp()) * 1000)::bigint",
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
} as const;

const sql = (on: Queryable) => {
  const now = DB_NOW[on.engine];
  return {
    register: `INSERT INTO controller_replicas (name, address, web_url, version, started_at, last_seen)
       VALUES (?, ?, ?, ?, ${now}, ${now})
       ON CONFLICT (name) DO UPDATE SET address = excluded.address, web_url = excluded.web_url,
         version = excluded.version, started_at = excluded.started_at, last_seen = excluded.last_seen`,
    beat: `UPDATE controller_replicas SET last_seen = ${now} WHERE name = ?`,
    list: `SELECT name, address, web_url, version, started_at, last_seen, ${now} - last_seen AS seen_ago
       FROM controller_replicas ORDER BY name`,
    alive: `SELECT name FROM controller_replicas WHERE last_seen >= ${now} - ? ORDER BY name`,
  };
};

export interface ReplicaRegistration {
  /** This replica's name (unique among the replicas of one store). */
  replica: string;
  /** host:port agents and the CLI reach it at. */
  address: string;
  /** Its dashboard's URL ('' when it has none). */
  webUrl?: string;
  version: string;
}

export interface ReplicaView {
  name: string;
  address: string;
  webUrl: string;
  version: string;
  startedAt: number;
  lastSeen: number;
  /** ms since it was last seen, on the database's clock. */
  seenAgoMs: number;
}

/**
 * This replica's row in `controller_replicas`: written at `start` (address, dashboard,
 * version, started now) and its `last_seen` raised every `heartbeatMs`, both on the
 * database's clock, so a replica whose own clock is off by minutes is judged alive or dead
 * correctly. A failed heartbeat is logged and retried at the next one (the row is restated
 * whole then: a row removed meanwhile comes back).
 */
export class ReplicaHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private missing = false;
  /** When the last heartbeat was written (monotonic ms). */
  private lastBeat = performance.now();

  private constructor(
    private readonly db: Queryable,
    private me: ReplicaRegistration,
    private readonly options: ReplicaHeartbeatOptions,
  ) {}

  /** Registered when it resolves (rejects when the store cannot be written: the replica must not start). */
  static async start(
    db: Queryable,
    me: ReplicaRegistration,
    options: ReplicaHeartbeatOptions = {},
  ): Promise<ReplicaHeartbeat> {
    const h = new ReplicaHeartbeat(db, me, options);
    await h.register();
    h.lastBeat = performance.now();
    h.timer = setInterval(() => void h.beat(), options.heartbeatMs ?? REPLICA_HEARTBEAT_MS);
    h.timer.unref();
    return h;
  }

  get replica(): string {
    return this.me.replica;
  }

  /** One heartbeat now (also what the timer runs); never rejects. */
  async beat(): Promise<void> {
    try {
      if (this.missing) await this.register();
      else if ((await this.db.run(sql(this.db).beat, [this.me.replica])).changes === 0) await this.register();
      this.missing = false;
      const silentMs = performance.now() - this.lastBeat;
      if (silentMs >= (this.options.staleAfterMs ?? STALE_REPLICA_MS) && this.options.revived) {
        this.options.log?.warn(
          { replica: this.me.replica, silentMs: Math.round(silentMs) },
          "this replica was not seen for long (the leader may have marked its hosts disconnected); restating its streams",
        );
        await this.options.revived();
      }
      // Only once restated: a failed `revived` is tried again at the next heartbeat.
      this.lastBeat = performance.now();
    } catch (err) {
      this.missing = true;
      this.options.log?.warn(
        { replica: this.me.replica, err: describeError(err) },
        "replica heartbeat failed; retrying",
      );
    }
  }

  /** Changes what is registered (e.g. the dashboard's URL once it is bound) and writes it now. */
  async restate(changes: Partial<Omit<ReplicaRegistration, "replica">>): Promise<void> {
    this.me = { ...this.me, ...changes };
    await this.register();
  }

  /** Stops beating (the row stays: the replica shows as last seen when it stopped). */
  stop(): void {
    clearInterval(this.timer);
  }

  private async register(): Promise<void> {
    const { replica, address, webUrl, version } = this.me;
    await this.db.run(sql(this.db).register, [replica, address, webUrl ?? "", version]);
  }
}

export interface ReplicaHeartbeatOptions {
  heartbeatMs?: number;
  /** What the leader's sweep takes for dead (default STALE_REPLICA_MS): see `revived`. */
  staleAfterMs?: number;
  /**
   * Called after a heartbeat written `staleAfterMs` or more after the previous one (this
   * replica was cut from the store or stalled: the leader may have marked its hosts
   * disconnected meanwhile), e.g. HostStore.reassertStreams for the streams it holds. Its
   * failure is logged and it is called again at the next heartbeat.
   */
  revived?: () => Promise<unknown>;
  log?: Logger;
}

/** Every replica that ever started on the store, by name, with how long ago each was seen. */
export async function listReplicas(db: Queryable): Promise<ReplicaView[]> {
  const rows = await db.all<{
    name: string;
    address: string;
    web_url: string;
    version: string;
    started_at: number;
    last_seen: number;
    seen_ago: number;
  }>(sql(db).list);
  return rows.map((r) => ({
    name: r.name,
    address: r.address,
    webUrl: r.web_url,
    version: r.version,
    startedAt: r.started_at,
    lastSeen: r.last_seen,
    seenAgoMs: Number(r.seen_ago),
  }));
}

/** The replicas seen within `staleAfterMs`, on the database's clock, by name. */
export async function liveReplicas(db: Queryable, staleAfterMs: number): Promise<string[]> {
  return (await db.all<{ name: string }>(sql(db).alive, [staleAfterMs])).map((r) => r.name);
}

/** What the sweep marks (HostStore.markOrphansDisconnected). */
export interface StaleStreamMarker {
  markOrphansDisconnected(liveReplicas: readonly string[], reason: string, on: Queryable): Promise<string[]>;
}

export interface StaleStreamSweepOptions {
  db: Queryable;
  leadership: Leadership;
  hosts: StaleStreamMarker;
  staleAfterMs?: number;
  intervalMs?: number;
  /** Told the hosts a round marked disconnected, after its commit (e.g. the rollout runner: they are offline). */
  onMarked?: (hosts: readonly string[]) => void;
  log?: Logger;
}

/**
 * The leader's duty: every `intervalMs`, marks disconnected the hosts shown connected to a
 * replica not seen for `staleAfterMs` (a replica that crashed: its agents that did not come
 * back on another replica would show connected for ever). Writes through
 * `leadership.fenced(db)`; on a follower it does nothing. `sweep()` runs one round now.
 */
export class StaleStreamSweep {
  private timer: NodeJS.Timeout | undefined;
  private readonly staleAfterMs: number;

  constructor(private readonly o: StaleStreamSweepOptions) {
    this.staleAfterMs = o.staleAfterMs ?? STALE_REPLICA_MS;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.o.intervalMs ?? STALE_SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: the hosts it marked (none on a follower or when it failed: logged). */
  async sweep(): Promise<string[]> {
    if (!this.o.leadership.state.leader) return [];
    try {
      // One transaction: the live replicas read and the hosts marked at one point in time.
      const marked = await this.o.leadership
        .fenced(this.o.db)
        .transaction(async (tx) =>
          this.o.hosts.markOrphansDisconnected(
            await liveReplicas(tx, this.staleAfterMs),
            `its controller replica was not seen for ${Math.round(this.staleAfterMs / 1000)} s: `,
            tx,
          ),
        );
      if (marked.length > 0) {
        this.o.log?.warn(
          { hosts: marked.length > 20 ? `${marked.length} hosts` : marked },
          "hosts of a controller replica not seen for long marked disconnected",
        );
        this.o.onMarked?.(marked);
      }
      return marked;
    } catch (err) {
      if (!(err instanceof FencedError))
        this.o.log?.error({ err: describeError(err) }, "marking dead replicas' hosts disconnected failed");
      return [];
    }
  }
}
