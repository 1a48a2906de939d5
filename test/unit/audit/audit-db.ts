import Database from "better-sqlite3";
import { applyMigrations, type Queryable } from "../../../common/index.js";
import { auditHash, GENESIS_HASH, type AuditRecord } from "../../../controller/audit/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";

/** An in-memory controller database with every migration applied (the audit table among them). */
export function auditDb(): Database.Database {
  const db = new Database(":memory:");
  applyMigrations(db, CONTROLLER_MIGRATIONS);
  return db;
}

/** Tampering as someone with write access to the file would: drop the triggers, then change rows. */
export function dropTriggers(db: Database.Database): void {
  db.exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
}

/** dropTriggers on either engine (PostgreSQL: a superuser's tampering, TRUNCATE's trigger too). */
export async function dropTriggersOn(db: Queryable): Promise<void> {
  await db.exec(
    db.engine === "postgres"
      ? "DROP TRIGGER audit_log_no_update ON audit_log; DROP TRIGGER audit_log_no_delete ON audit_log; DROP TRIGGER audit_log_no_truncate ON audit_log;"
      : "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
  );
}

/**
 * Writes `n` valid chained records after those stored, as AuditLog.append would, in bulk
 * (1,000 a statement): a long chain without n round trips of appends.
 */
export async function writeChain(db: Queryable, n: number, at = "2026-03-01T10:00:00.000Z"): Promise<void> {
  const last = await db.get<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const records: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    seq += 1;
    const unhashed = {
      seq,
      at,
      actor: "controller",
      action: "policy.revision",
      target: `p${i}`,
      detailJson: "{}",
      prevHash,
    };
    const record = { ...unhashed, hash: auditHash(unhashed) };
    records.push(record);
    prevHash = record.hash;
  }
  await db.transaction(async (tx) => {
    for (let i = 0; i < records.length; i += 1_000) {
      const chunk = records.slice(i, i + 1_000);
      await tx.run(
        `INSERT INTO audit_log (seq, at, actor, action, target, detail_json, prev_hash, hash) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        chunk.flatMap((r) => [r.seq, r.at, r.actor, r.action, r.target, r.detailJson, r.prevHash, r.hash]),
      );
    }
  });
}
