import type { SqliteDatabase } from "../../common/sqlite/open-database.js";

/** The policy bundle last accepted from the controller, as received (policies' resolved JSON included). */
export interface CachedBundle {
  revision: string;
  generation: number;
  /** The bundle as JSON (PolicyBundle shape); parsed and validated again when loaded. */
  bundleJson: string;
  savedAt: number;
}

/** One cached bundle per agent: `save` replaces it, `load` returns null until the first save. */
export class BundleCache {
  private readonly write;
  private readonly read;

  constructor(db: SqliteDatabase) {
    this.write = db.prepare(
      `INSERT INTO bundle_cache (id, revision, generation, bundle_json, saved_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, generation = excluded.generation,
         bundle_json = excluded.bundle_json, saved_at = excluded.saved_at`,
    );
    this.read = db.prepare<[], { revision: string; generation: number; bundle_json: string; saved_at: number }>(
      "SELECT revision, generation, bundle_json, saved_at FROM bundle_cache WHERE id = 1",
    );
  }

  save(b: Omit<CachedBundle, "savedAt">, now = Date.now()): void {
    this.write.run(b.revision, b.generation, b.bundleJson, now);
  }

  load(): CachedBundle | null {
    const r = this.read.get();
    return r
      ? { revision: r.revision, generation: r.generation, bundleJson: r.bundle_json, savedAt: r.saved_at }
      : null;
  }
}

/** Small named JSON documents (enforcement state such as open drift and the flap guard). */
export class StateDocs {
  private readonly write;
  private readonly read;

  constructor(db: SqliteDatabase) {
    this.write = db.prepare(
      "INSERT INTO enforce_state (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
    );
    this.read = db.prepare<[string], { value_json: string }>("SELECT value_json FROM enforce_state WHERE key = ?");
  }

  save(key: string, value: unknown): void {
    this.write.run(key, JSON.stringify(value));
  }

  /** The stored value, or undefined when absent or unreadable. */
  load(key: string): unknown {
    const r = this.read.get(key);
    if (!r) return undefined;
    try {
      return JSON.parse(r.value_json) as unknown;
    } catch {
      return undefined;
    }
  }
}
