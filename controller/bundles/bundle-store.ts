import type { PolicyBundle } from "../../generated/proto/fleet/v1/PolicyBundle.js";
import { AsyncDatabase, VirtfleetError, type Queryable, type SqliteDatabase } from "../../common/index.js";
import type { ComputedBundle } from "./bundle.js";

/** A host's current bundle as stored (`host_bundles`). Times are ms since the epoch. */
export interface HostBundle {
  host: string;
  revision: string;
  generation: number;
  bundle: Required<Pick<PolicyBundle, "revision" | "policies">> & { generation: number };
  /** Policies left out for this host (see ComputedBundle.problems). */
  problems: string[];
  sentAt: number | null;
  computedAt: number;
}

/** A stored row without its bundle JSON (the policies: kilobytes per host). */
interface DbBundleHead {
  host: string;
  revision: string;
  generation: number;
  sent_at: number | null;
  errors_json: string;
  computed_at: number;
}

interface DbBundle extends DbBundleHead {
  bundle_json: string;
}

/** The stored row as a HostBundle; `bundle` is read by `bundleJson` and parsed on first use (most callers need only the revision). */
const toBundle = (r: DbBundleHead, bundleJson: () => string): HostBundle => {
  let parsed: HostBundle["bundle"] | undefined;
  return {
    host: r.host,
    revision: r.revision,
    generation: r.generation,
    get bundle(): HostBundle["bundle"] {
      parsed ??= JSON.parse(bundleJson()) as HostBundle["bundle"];
      return parsed;
    },
    problems: JSON.parse(r.errors_json) as string[],
    sentAt: r.sent_at,
    computedAt: r.computed_at,
  };
};

const fromRow = (r: DbBundle): HostBundle => toBundle(r, () => r.bundle_json);

/** Hosts sharing one ComputedBundle (BundleComputer) share the serialised policies too. */
const policiesJson = new WeakMap<ComputedBundle["policies"], string>();

function policiesJsonOf(computed: ComputedBundle): string {
  let json = policiesJson.get(computed.policies);
  if (json === undefined) {
    json = JSON.stringify(computed.policies);
    policiesJson.set(computed.policies, json);
  }
  return json;
}

/** Each host's current bundle. The host must exist in `hosts`. */
export class HostBundleStore {
  private readonly stmts;
  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      get: db.prepare<[string], DbBundle>("SELECT * FROM host_bundles WHERE host = ?"),
      head: db.prepare<[string], DbBundleHead>(
        "SELECT host, revision, generation, sent_at, errors_json, computed_at FROM host_bundles WHERE host = ?",
      ),
      bundleJson: db.prepare<[string, number], { bundle_json: string }>(
        "SELECT bundle_json FROM host_bundles WHERE host = ? AND generation = ?",
      ),
      generation: db.prepare<[string], { generation: number }>("SELECT generation FROM host_bundles WHERE host = ?"),
      list: db.prepare<[], DbBundle>("SELECT * FROM host_bundles ORDER BY host"),
      upsert: db.prepare(
        `INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at)
         VALUES (@host, @revision, @generation, @bundleJson, NULL, @errorsJson, @now)
         ON CONFLICT (host) DO UPDATE SET revision = @revision, generation = @generation, bundle_json = @bundleJson,
           sent_at = NULL, errors_json = @errorsJson, computed_at = @now`,
      ),
      problems: db.prepare("UPDATE host_bundles SET errors_json = ?, computed_at = ? WHERE host = ?"),
      sent: db.prepare("UPDATE host_bundles SET sent_at = ? WHERE host = ? AND revision = ?"),
      heads: db.prepare<[], BundleHeadView>("SELECT host, revision, generation FROM host_bundles"),
      headOf: db.prepare<[string], BundleHeadView>(
        "SELECT host, revision, generation FROM host_bundles WHERE host = ?",
      ),
      currentJson: db.prepare<[string], { bundle_json: string }>("SELECT bundle_json FROM host_bundles WHERE host = ?"),
      current: db.prepare<[string], { revision: string; generation: number; bundle_json: string }>(
        "SELECT revision, generation, bundle_json FROM host_bundles WHERE host = ?",
      ),
    };
  }

  get(host: string, on: Queryable = this.db): Promise<HostBundle | undefined> {
    return on.read(() => {
      const r = this.stmts.get.get(host);
      return r ? fromRow(r) : undefined;
    });
  }

  /** The host's current generation; undefined when it has no bundle yet. */
  generationOf(host: string, on: Queryable = this.db): Promise<number | undefined> {
    return on.read(() => this.stmts.generation.get(host)?.generation);
  }

  list(on: Queryable = this.db): Promise<HostBundle[]> {
    return on.read(() => this.stmts.list.all().map(fromRow));
  }

  /**
   * Stores `computed` as the host's bundle. When its revision differs from the stored one it
   * becomes a new generation (stored + 1, starting at 1); otherwise only the problems are
   * refreshed. Returns the stored bundle and whether it is a new generation.
   */
  save(
    host: string,
    computed: ComputedBundle,
    now: number,
    on: Queryable = this.db,
  ): Promise<{ bundle: HostBundle; changed: boolean }> {
    return on.transaction(() => this.saveWrites(host, computed, now));
  }

  private saveWrites(host: string, computed: ComputedBundle, now: number): { bundle: HostBundle; changed: boolean } {
    const before = this.stmts.head.get(host);
    const errorsJson = JSON.stringify(computed.problems);
    if (before && before.revision === computed.revision) {
      if (before.errors_json !== errorsJson) this.stmts.problems.run(errorsJson, now, host);
      return {
        bundle: toBundle({ ...before, errors_json: errorsJson }, () => this.storedBundleJson(host, before.generation)),
        changed: false,
      };
    }
    const generation = (before?.generation ?? 0) + 1;
    const bundleJson = `{"revision":${JSON.stringify(computed.revision)},"generation":${generation},"policies":${policiesJsonOf(computed)}}`;
    this.stmts.upsert.run({ host, revision: computed.revision, generation, bundleJson, errorsJson, now });
    const bundle: HostBundle = {
      host,
      revision: computed.revision,
      generation,
      bundle: { revision: computed.revision, generation, policies: computed.policies },
      problems: computed.problems,
      sentAt: null,
      computedAt: now,
    };
    return { bundle, changed: true };
  }

  /** The bundle JSON of `host`'s `generation`; throws when a newer generation replaced it since. */
  private storedBundleJson(host: string, generation: number): string {
    const row = this.stmts.bundleJson.get(host, generation);
    if (!row)
      throw new VirtfleetError(
        "BUNDLE_REPLACED",
        `the bundle of host ${host} at generation ${generation} was replaced before it was read`,
      );
    return row.bundle_json;
  }

  /** Records that the host's current bundle (`revision`) was sent. */
  markSent(host: string, revision: string, now: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.sent.run(now, host, revision);
    });
  }

  /** Every host's current bundle revision and generation, or only `host`'s (no bundle JSON read). */
  heads(host?: string, on: Queryable = this.db): Promise<BundleHeadView[]> {
    return on.read(() => (host === undefined ? this.stmts.heads.all() : this.stmts.headOf.all(host)));
  }

  /** The policies (name, revision) of `host`'s current bundle; none when it has no bundle. */
  policiesOf(host: string, on: Queryable = this.db): Promise<{ name: string; revision: string }[]> {
    return on.read(() => bundlePolicies(this.stmts.currentJson.get(host)?.bundle_json ?? "{}"));
  }

  /**
   * The policies (name, revision) of `host`'s current bundle when its revision is `revision`;
   * undefined when the host has no bundle or another one.
   */
  policiesAt(
    host: string,
    revision: string,
    on: Queryable = this.db,
  ): Promise<{ name: string; revision: string }[] | undefined> {
    return on.read(() => {
      const bundle = this.stmts.current.get(host);
      return bundle && bundle.revision === revision ? bundlePolicies(bundle.bundle_json) : undefined;
    });
  }
}

/** A host's current bundle without its content. */
export interface BundleHeadView {
  host: string;
  revision: string;
  generation: number;
}

/**
 * The policies of a stored bundle (host_bundles.bundle_json): `{policies: [{name, revision}]}`;
 * anything unreadable yields none.
 */
export function bundlePolicies(bundleJson: string): { name: string; revision: string }[] {
  try {
    const v = JSON.parse(bundleJson) as { policies?: unknown };
    if (!Array.isArray(v.policies)) return [];
    return v.policies
      .filter((p): p is { name: string; revision: unknown } => typeof (p as { name?: unknown })?.name === "string")
      .map((p) => ({ name: p.name, revision: typeof p.revision === "string" ? p.revision : "" }));
  } catch {
    return [];
  }
}
