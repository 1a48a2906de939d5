import { sqlFor, type Engine } from "../../common/index.js";

/**
 * The clause that locks the `hosts` rows a SELECT reads until its transaction ends:
 * " FOR NO KEY UPDATE" on PostgreSQL, "" on SQLite (its transactions never overlap).
 *
 * NO KEY UPDATE is the lock an UPDATE of `hosts` takes anyway (it never changes a name), so
 * locking a row before writing it adds no conflict the write would not have: it serializes
 * with other writers of the row, but not with the KEY SHARE lock every insert into a table
 * referencing `hosts` takes (reports, drift events, bundles), which FOR UPDATE would block.
 *
 * Order: a transaction that locks several hosts locks them in byte order of their names
 * (HostStore's flush, a Hello batch in controller/agents, ingest), so none wait in a cycle.
 */
export function lockHostRows(on: { readonly engine: Engine }): string {
  return sqlFor(on, { sqlite: "", postgres: " FOR NO KEY UPDATE" });
}
