import type { Queryable } from "../../common/index.js";

/** What the singleton duties read the time from. */
export interface Clock {
  now(): number;
}

export interface StoreClockOptions {
  /** How often the offset is measured again (default 60 s). */
  refreshMs?: number;
  /** This machine's clock (tests pass a wrong one); Date.now by default. */
  localNow?: () => number;
}

/**
 * The database's clock as seen from this replica: this machine's clock plus the offset last
 * measured against PostgreSQL's clock_timestamp() (the midpoint of the round trip). Replicas
 * whose clocks disagree by minutes still agree on `now()` to within a round trip, so the
 * leader's timers (a rollout's soak, snapshot times) carry on under a new leader whatever its
 * clock says. A failed measurement keeps the last offset.
 */
export class StoreClock implements Clock {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly localNow: () => number;

  private constructor(
    private readonly db: Queryable,
    options: StoreClockOptions,
  ) {
    this.localNow = options.localNow ?? Date.now;
  }

  /** Measured once when it resolves, then every `refreshMs`. */
  static async start(db: Queryable, options: StoreClockOptions = {}): Promise<StoreClock> {
    const c = new StoreClock(db, options);
    await c.measure();
    c.timer = setInterval(() => void c.measure().catch(() => undefined), options.refreshMs ?? 60_000);
    c.timer.unref();
    return c;
  }

  /** The database's time minus this machine's, in ms (positive: this machine is behind). */
  get offsetMs(): number {
    return this.offset;
  }

  now(): number {
    return Math.round(this.localNow() + this.offset);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async measure(): Promise<void> {
    const before = this.localNow();
    const row = await this.db.get<{ t: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t");
    const after = this.localNow();
    if (row) this.offset = row.t - (before + after) / 2;
  }
}

/** This machine's clock (one SQLite controller: nothing to agree with). */
export const LOCAL_CLOCK: Clock = { now: () => Date.now() };
