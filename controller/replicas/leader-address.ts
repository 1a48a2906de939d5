import type { Queryable } from "../../common/index.js";

/**
 * The address (host:port, as the replica registered it) of the replica that holds the leader
 * duty now, read from `controller_leader` and `controller_replicas`; null when no replica is
 * recorded as leader (a SQLite controller, or one whose row is not written yet). Read only.
 */
export async function storedLeaderAddress(db: Queryable): Promise<string | null> {
  const row = await db.get<{ address: string }>(
    `SELECT r.address AS address FROM controller_leader l
       JOIN controller_replicas r ON r.name = l.holder
      WHERE l.duty = 'leader'`,
  );
  return row?.address ? row.address : null;
}
