/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 6: the audit log: who did what to what, append-only and hash-chained.
 *   `seq` is assigned by the writer (last + 1, from 1), never by AUTOINCREMENT, so a deleted
 *   row leaves a gap the verifier sees. `at` is the ISO 8601 text that was hashed. `hash` =
 *   sha256 over the canonical encoding of (seq, at, actor, action, target, detail_json,
 *   prev_hash); `prev_hash` = the previous row's hash (64 zeros for seq 1). The triggers
 *   refuse UPDATE and DELETE: a belt, not the proof — verification recomputes the chain.
 */
export const AUDIT_SCHEMA = {
  6: `
    CREATE TABLE audit_log (
      seq         INTEGER PRIMARY KEY,
      at          TEXT NOT NULL,
      actor       TEXT NOT NULL,
      action      TEXT NOT NULL,
      target      TEXT NOT NULL,
      detail_json TEXT NOT NULL,
      prev_hash   TEXT NOT NULL,
      hash        TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_at ON audit_log (at);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
  `,
} as const;
