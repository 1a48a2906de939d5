import type { SqliteDatabase } from "../../common/sqlite/open-database.js";
import type { OwnedKind, OwnershipLedger, OwnershipRecord } from "../../kinds/ownership/index.js";
import type { CachedBundle } from "./bundle-cache.js";

interface Row {
  kind: OwnedKind;
  name: string;
  identity: string | null;
  policy: string;
  revision: string;
  adopted: number;
  replaced_xml: string | null;
  recorded_at: number;
}

/**
 * The agent's ownership records (kinds/ownership/ledger.ts), one row per (kind, name).
 *
 * Upgrade (`seedFromBundle`, once per state database): an agent whose state predates the
 * records holds a cached bundle; the networks, pools and volumes that bundle declares count
 * as owned (by name; their UUID/path is pinned the first time they are seen), so an
 * existing fleet does not turn `conflict` overnight. A new or lost state database has no
 * cached bundle: nothing is seeded, and objects that exist become `conflict` until a policy
 * adopts them — never silently owned.
 */
export class OwnershipLedgerStore implements OwnershipLedger {
  private readonly selectOne;
  private readonly upsert;
  private readonly remove;
  private readonly selectAll;

  constructor(private readonly db: SqliteDatabase) {
    this.selectOne = db.prepare<[string, string], Row>("SELECT * FROM ownership WHERE kind = ? AND name = ?");
    this.upsert = db.prepare(
      `INSERT INTO ownership (kind, name, identity, policy, revision, adopted, replaced_xml, recorded_at)
       VALUES (@kind, @name, @identity, @policy, @revision, @adopted, @replaced_xml, @recorded_at)
       ON CONFLICT (kind, name) DO UPDATE SET identity = excluded.identity, policy = excluded.policy,
         revision = excluded.revision, adopted = excluded.adopted, replaced_xml = excluded.replaced_xml,
         recorded_at = excluded.recorded_at`,
    );
    this.remove = db.prepare("DELETE FROM ownership WHERE kind = ? AND name = ?");
    this.selectAll = db.prepare<[], Row>("SELECT * FROM ownership ORDER BY kind, name");
  }

  get(kind: OwnedKind, name: string): OwnershipRecord | undefined {
    const r = this.selectOne.get(kind, name);
    return r ? fromRow(r) : undefined;
  }

  put(rec: OwnershipRecord): void {
    this.upsert.run({
      kind: rec.kind,
      name: rec.name,
      identity: rec.identity,
      policy: rec.policy,
      revision: rec.revision,
      adopted: rec.adopted ? 1 : 0,
      replaced_xml: rec.replacedXml,
      recorded_at: rec.recordedAt,
    });
  }

  forget(kind: OwnedKind, name: string): void {
    this.remove.run(kind, name);
  }

  list(): OwnershipRecord[] {
    return this.selectAll.all().map(fromRow);
  }

  /** Seeds the records from `cached` once (see the class comment); returns how many were seeded. */
  seedFromBundle(cached: CachedBundle | null, now = Date.now()): number {
    return this.db.transaction(() => {
      const s = this.db.prepare<[], { seeded: number }>("SELECT seeded FROM ownership_state WHERE id = 1").get();
      if (!s || s.seeded === 1) return 0;
      this.db.prepare("UPDATE ownership_state SET seeded = 1 WHERE id = 1").run();
      let n = 0;
      for (const o of cached ? declaredInBundle(cached.bundleJson) : []) {
        if (this.get(o.kind, o.name)) continue;
        this.put({ ...o, identity: null, adopted: false, replacedXml: null, recordedAt: now });
        n++;
      }
      return n;
    })();
  }
}

function fromRow(r: Row): OwnershipRecord {
  return {
    kind: r.kind,
    name: r.name,
    identity: r.identity,
    policy: r.policy,
    revision: r.revision,
    adopted: r.adopted === 1,
    replacedXml: r.replaced_xml,
    recordedAt: r.recorded_at,
  };
}

/** Networks, pools and volumes a cached bundle declares present (read leniently: unreadable parts are skipped). */
function declaredInBundle(bundleJson: string): { kind: OwnedKind; name: string; policy: string; revision: string }[] {
  const out: { kind: OwnedKind; name: string; policy: string; revision: string }[] = [];
  try {
    const wire = JSON.parse(bundleJson) as { policies?: { name?: string; revision?: string; resolvedJson?: string }[] };
    for (const p of wire.policies ?? []) {
      if (typeof p.name !== "string" || typeof p.resolvedJson !== "string") continue;
      const resources = (JSON.parse(p.resolvedJson) as { resources?: Record<string, unknown> }).resources ?? {};
      const items = (key: string) =>
        (Array.isArray(resources[key]) ? resources[key] : []) as { name?: unknown; pool?: unknown; state?: unknown }[];
      const add = (kind: OwnedKind, name: string) =>
        out.push({ kind, name, policy: p.name!, revision: typeof p.revision === "string" ? p.revision : "" });
      for (const n of items("networks")) if (typeof n.name === "string" && n.state !== "absent") add("network", n.name);
      for (const x of items("pools")) if (typeof x.name === "string" && x.state !== "absent") add("pool", x.name);
      for (const v of items("volumes"))
        if (typeof v.name === "string" && typeof v.pool === "string" && v.state !== "absent")
          add("volume", `${v.pool}/${v.name}`);
    }
  } catch {
    // an unreadable cached bundle seeds nothing: its objects become conflict until adopted
  }
  return out;
}
