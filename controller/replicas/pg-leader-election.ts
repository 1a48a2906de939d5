import type pg from "pg";
import type { Logger, Queryable } from "../../common/index.js";
import type { PgDatabase } from "../../common/postgres/index.js";
import { FencedError } from "./errors.js";
import { FencedQueryable } from "./fenced-queryable.js";
import type { LeaderState, Leadership } from "./leadership.js";

/** The session advisory lock every replica tries to take; its holder is the leader. */
export const LEADER_LOCK_KEY = 0x76660002;
const DUTY = "leader";

export interface PgLeaderElectionOptions {
  /** This replica's name in `controller_leader.holder` and the log. */
  replica: string;
  /** How often a follower tries the lock (default 1 s: takeover within ~1 s of the lock's release). */
  retryMs?: number;
  /** How often the leader checks its election connection (default 1 s). */
  healthMs?: number;
  /** A health check that takes longer means the connection is gone (default 3 s). */
  healthTimeoutMs?: number;
  log?: Logger;
}

/**
 * Leader election on PostgreSQL: the leader is the replica whose dedicated connection holds
 * the session advisory lock LEADER_LOCK_KEY (a pooled connection would hand the session, and
 * so the lock, to other work). On winning, it bumps `controller_leader.epoch` and keeps the
 * new value as its fencing token. It stops being the leader the moment its connection fails a
 * health check or errors; the server releases the lock when the session ends (a killed
 * process at once; a silent network cut after the TCP keepalives set on the session, ~10 s),
 * and a follower takes it within `retryMs`. Nothing here reads a clock: a replica's clock
 * being off changes nothing.
 *
 * Fencing: `fenced(db)` checks, inside each write's transaction, that the stored epoch is
 * still this leader's (`SELECT … FOR SHARE`: the next leader's bump waits for checked writes
 * to finish, and every write after it sees the new epoch and is refused).
 */
export class PgLeaderElection implements Leadership {
  private current: LeaderState = { leader: false, epoch: 0, reason: "starting" };
  private readonly listeners = new Set<(s: LeaderState) => void>();
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly retryMs: number;
  private readonly healthMs: number;
  private readonly healthTimeoutMs: number;

  constructor(
    private readonly db: PgDatabase,
    private readonly options: PgLeaderElectionOptions,
  ) {
    this.retryMs = options.retryMs ?? 1_000;
    this.healthMs = options.healthMs ?? 1_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 3_000;
  }

  get state(): LeaderState {
    return this.current;
  }

  /** Starts campaigning; resolves after the first attempt (so a lone replica is the leader when it resolves). */
  async start(): Promise<void> {
    await this.round();
    this.schedule();
  }

  onChange(listener: (state: LeaderState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  fenced(db: Queryable): Queryable {
    return new FencedQueryable(db, (tx) => this.checkEpoch(tx));
  }

  /** Steps down (releasing the lock with the session) and stops campaigning. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.dropClient(this.current.leader ? "stopped" : undefined);
  }

  private async checkEpoch(tx: Queryable): Promise<void> {
    const mine = this.current;
    if (!mine.leader)
      throw new FencedError(
        mine.epoch,
        undefined,
        `${this.options.replica} is not the leader: the write is refused (${mine.reason})`,
      );
    const row = await tx.get<{ epoch: number }>("SELECT epoch FROM controller_leader WHERE duty = ? FOR SHARE", [DUTY]);
    if (row?.epoch !== mine.epoch) {
      this.depose(`a newer leader holds epoch ${row?.epoch}`);
      throw new FencedError(
        mine.epoch,
        row?.epoch,
        `${this.options.replica} led epoch ${mine.epoch} but epoch ${row?.epoch} has been elected since: the write is refused`,
      );
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.running = this.round().finally(() => this.schedule());
      },
      this.current.leader ? this.healthMs : this.retryMs,
    );
    this.timer.unref();
  }

  /** One step: a follower tries the lock; the leader checks its connection. */
  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.current.leader) await this.checkHealth();
      else await this.campaign();
    } catch (err) {
      const reason = `election connection lost: ${(err as Error).message}`;
      if (this.current.leader) this.depose(reason);
      else this.options.log?.debug({ err }, "leader election attempt failed");
      await this.dropClient();
    }
  }

  private async campaign(): Promise<void> {
    const client = await this.connection();
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [LEADER_LOCK_KEY]);
    if (!rows[0]?.ok) return;
    const won = await client.query<{ epoch: string }>(
      `INSERT INTO controller_leader (duty, epoch, holder, since)
       VALUES ($1, 1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
       ON CONFLICT (duty) DO UPDATE SET epoch = controller_leader.epoch + 1, holder = excluded.holder, since = excluded.since
       RETURNING epoch`,
      [DUTY, this.options.replica],
    );
    this.set({ leader: true, epoch: Number(won.rows[0]!.epoch), reason: "elected" });
  }

  private async checkHealth(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error("no connection");
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query("SELECT 1"),
        new Promise((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`no answer within ${this.healthTimeoutMs} ms`)),
            this.healthTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = await this.db.dedicatedClient(`virtfleet-election-${this.options.replica}`);
    // A connection that fails between rounds deposes at once, not at the next health check.
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.current.leader) this.depose(`election connection lost: ${why}`);
      client.end().catch(() => undefined);
    };
    client.on("error", (err) => lost(err.message));
    client.on("end", () => lost("closed"));
    // The server notices a silently cut TCP session within ~10 s and releases the lock.
    await client.query("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 2");
    this.client = client;
    return client;
  }

  private async dropClient(reason?: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (reason) this.set({ leader: false, epoch: 0, reason });
    await client?.end().catch(() => undefined);
  }

  private depose(reason: string): void {
    if (!this.current.leader) return;
    this.set({ leader: false, epoch: 0, reason });
  }

  private set(state: LeaderState): void {
    this.current = state;
    this.options.log?.info(
      { replica: this.options.replica, leader: state.leader, epoch: state.epoch, reason: state.reason },
      state.leader ? "leader: this replica runs the singleton duties" : "follower: the singleton duties run elsewhere",
    );
    for (const l of this.listeners) l(state);
  }
}
