import { join } from "node:path";
import { openDatabase, type SqliteDatabase } from "../../common/sqlite/open-database.js";
import { BundleCache, StateDocs } from "./bundle-cache.js";
import { AGENT_MIGRATIONS } from "./migrations.js";
import { Outbox, type OutboxLimits } from "./outbox.js";
import { OwnershipLedgerStore } from "./ownership-ledger.js";

export const AGENT_DB_FILE = "agent.db";
export { AGENT_MIGRATIONS };

export interface AgentStoreOptions {
  outboxLimits?: OutboxLimits;
  now?: () => number;
  /** Told when the state folder or database files were readable by others and were made private. */
  warn?: (message: string) => void;
}

/**
 * The agent's local state (SQLite in its state folder): link sequence numbers (so the
 * controller can tell, across processes, what this host has sent and acknowledged), the
 * cached policy bundle, the event outbox, enforcement state and ownership records.
 */
export class AgentStore {
  readonly bundles: BundleCache;
  readonly outbox: Outbox;
  readonly docs: StateDocs;
  /** Ownership records (seeded from the cached bundle once, on upgrade). */
  readonly ownership: OwnershipLedgerStore;
  private readonly readSeqs;
  private readonly writeAgentSeq;
  private readonly writeControllerSeq;

  private constructor(
    private readonly db: SqliteDatabase,
    o: AgentStoreOptions,
  ) {
    this.readSeqs = db.prepare<[], { last_agent_seq: number; last_controller_seq: number }>(
      "SELECT last_agent_seq, last_controller_seq FROM link_state WHERE id = 1",
    );
    this.writeAgentSeq = db.prepare("UPDATE link_state SET last_agent_seq = ? WHERE id = 1 AND last_agent_seq < ?");
    this.writeControllerSeq = db.prepare(
      "UPDATE link_state SET last_controller_seq = ? WHERE id = 1 AND last_controller_seq < ?",
    );
    this.bundles = new BundleCache(db);
    this.outbox = new Outbox(db, o.outboxLimits, o.now);
    this.docs = new StateDocs(db);
    this.ownership = new OwnershipLedgerStore(db);
    this.ownership.seedFromBundle(this.bundles.load());
  }

  static open(stateDir: string, o: AgentStoreOptions = {}): AgentStore {
    return AgentStore.openFile(join(stateDir, AGENT_DB_FILE), o);
  }

  /** Opens a database file (":memory:" for tests). */
  static openFile(file: string, o: AgentStoreOptions = {}): AgentStore {
    return new AgentStore(openDatabase(file, AGENT_MIGRATIONS, { warn: o.warn }), o);
  }

  sequences(): { lastAgentSeq: number; lastControllerSeq: number } {
    const r = this.readSeqs.get()!;
    return { lastAgentSeq: r.last_agent_seq, lastControllerSeq: r.last_controller_seq };
  }

  saveAgentSeq(seq: number): void {
    this.writeAgentSeq.run(seq, seq);
  }

  saveControllerSeq(seq: number): void {
    this.writeControllerSeq.run(seq, seq);
  }

  close(): void {
    this.db.close();
  }
}
