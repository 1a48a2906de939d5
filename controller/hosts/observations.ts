import { AsyncDatabase, type Queryable, type SqliteDatabase } from "../../common/index.js";

/** A host's convergence state as compliance reads it (connected as stored: buffered liveness is not applied). */
export interface HostObservedState {
  name: string;
  connected: boolean;
  /** Bundle generation the host last reported converging (0: none). */
  observedGeneration: number;
  /** When the host's last non-dry-run report was stored (ms), or null. */
  lastReportAt: number | null;
}

/**
 * The columns of `hosts` that agents' reports set (schema step 3: last_event_seq,
 * observed_generation, observed_revision, last_report_at), for controller/ingest, which writes
 * them inside its event transaction, and controller/compliance, which reads them. Unlike
 * HostStore nothing is buffered here: any number of instances over one database agree.
 */
export class HostObservations {
  private readonly stmts;

  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      lastSeq: db.prepare<[string], { last_event_seq: number }>("SELECT last_event_seq FROM hosts WHERE name = ?"),
      setLastSeq: db.prepare("UPDATE hosts SET last_event_seq = MAX(last_event_seq, ?) WHERE name = ?"),
      observed: db.prepare(
        "UPDATE hosts SET observed_generation = ?, observed_revision = ?, last_report_at = ? WHERE name = ?",
      ),
      states: db.prepare<[], DbState>("SELECT name, connected, observed_generation, last_report_at FROM hosts"),
      stateOf: db.prepare<[string], DbState>(
        "SELECT name, connected, observed_generation, last_report_at FROM hosts WHERE name = ?",
      ),
    };
  }

  /** The highest event_seq stored for `host`; undefined for an unknown host. */
  lastEventSeq(host: string, on: Queryable = this.db): Promise<number | undefined> {
    return on.read(() => this.stmts.lastSeq.get(host)?.last_event_seq);
  }

  /** Raises `host`'s last event_seq to `seq` (never lowers it). */
  advanceEventSeq(host: string, seq: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.setLastSeq.run(seq, host);
    });
  }

  /** Records the bundle generation and revision `host` reported converging, at `now`. */
  recordObserved(
    host: string,
    generation: number,
    revision: string,
    now: number,
    on: Queryable = this.db,
  ): Promise<void> {
    return on.write(() => {
      this.stmts.observed.run(generation, revision, now, host);
    });
  }

  /** Every host's observed state, or only `host`'s (none for an unknown host). */
  states(host?: string, on: Queryable = this.db): Promise<HostObservedState[]> {
    return on.read(() => {
      return (host === undefined ? this.stmts.states.all() : this.stmts.stateOf.all(host)).map((h) => ({
        name: h.name,
        connected: h.connected === 1,
        observedGeneration: h.observed_generation,
        lastReportAt: h.last_report_at,
      }));
    });
  }
}

interface DbState {
  name: string;
  connected: number;
  observed_generation: number;
  last_report_at: number | null;
}
