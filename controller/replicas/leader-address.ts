import type { Queryable } from "../../common/index.js";

/**
 * The address (host:port, as the replica registered it) of the replica that holds the leader
 * duty now, read from `controller_leader` and `controller_replicas`; null when no replica is
 * recorded as leader (a SQLite controller, or one whose row is not written yet). Read only.
 */
export async function storedLeaderAddress(db: Queryable): Promise<string | null> {
  return (await storedLeader(db))?.address || null;
}

/** The leading replica's registration (storedLeaderAddress): its gRPC address and its dashboard's URL ('' when none). */
export async function storedLeader(db: Queryable): Promise<{ name: string; address: string; webUrl: string } | null> {
  const row = await db.get<{ name: string; address: string; web_url: string }>(
    `SELECT r.name AS name, r.address AS address, r.web_url AS web_url FROM controller_leader l
       JOIN controller_replicas r ON r.name = l.holder
      WHERE l.duty = 'leader'`,
  );
  return row ? { name: row.name, address: row.address, webUrl: row.web_url } : null;
}
