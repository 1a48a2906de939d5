import { join } from "node:path";
import { openDatabase, type Migration, type SqliteDatabase } from "../../common/index.js";

export const AGENT_DB_FILE = "agent.db";

/** The agent's schema. Append only. */
export const AGENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "link sequence numbers",
    sql: `CREATE TABLE link_state (
            id                  INTEGER PRIMARY KEY CHECK (id = 1),
            last_agent_seq      INTEGER NOT NULL,
            last_controller_seq INTEGER NOT NULL
          );
          INSERT INTO link_state (id, last_agent_seq, last_controller_seq) VALUES (1, 0, 0);`,
  },
];

/**
 * The agent's local state (SQLite in its state folder). Sequence numbers survive restarts so
 * the controller can tell, across processes, what this host has sent and acknowledged.
 */
export class AgentStore {
  private readonly readSeqs;
  private readonly writeAgentSeq;
  private readonly writeControllerSeq;

  private constructor(private readonly db: SqliteDatabase) {
    this.readSeqs = db.prepare<[], { last_agent_seq: number; last_controller_seq: number }>(
      "SELECT last_agent_seq, last_controller_seq FROM link_state WHERE id = 1",
    );
    this.writeAgentSeq = db.prepare("UPDATE link_state SET last_agent_seq = ? WHERE id = 1 AND last_agent_seq < ?");
    this.writeControllerSeq = db.prepare("UPDATE link_state SET last_controller_seq = ? WHERE id = 1 AND last_controller_seq < ?");
  }

  static open(stateDir: string): AgentStore {
    return new AgentStore(openDatabase(join(stateDir, AGENT_DB_FILE), AGENT_MIGRATIONS));
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
