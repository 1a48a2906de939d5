import type { PolicyBundle } from "../../generated/proto/fleet/v1/PolicyBundle.js";
import {
  forUpdate,
  jsonTextList,
  queryableOf,
  VirtfleetError,
  type Queryable,
  type SqliteDatabase,
} from "../../common/index.js";
import type { ComputedBundle } from "./bundle.js";

/** A host's current bundle as stored (`host_bundles`). Times are ms since the epoch. */
export interface HostBundle {
  host: string;
  revision: string;
  generation: number;
  /**
   * The content. Present on every bundle the store returns except the one `save` returns
   * unchanged (its JSON is kilobytes per host and most callers need only the revision):
   * reading it there throws BundleContentError; `HostBundleStore.content` reads it.
   */
  bundle: Required<Pick<PolicyBundle, "revision" | "policies">> & { generation: number };
  /** Policies left out for this host (see ComputedBundle.problems). */
  problems: string[];
  sentAt: number | null;
  computedAt: number;
}

/** The content of a bundle `save` returned unchanged was read before `HostBundleStore.content`. */
export class BundleContentError extends VirtfleetError {
  constructor(host: string, generation: number) {
    super(
      "BUNDLE_CONTENT_NOT_READ",
      `the bundle of host ${host} at generation ${generation} was returned without its content: read it with HostBundleStore.content`,
    );
  }
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

type Content = HostBundle["bundle"];

/** Content not read yet (see HostBundle.bundle): the getter throws. */
const NOT_READ = new WeakSet<HostBundle>();

/** The stored row as a HostBundle; `bundleJson` undefined: its content was not read. Parsed on first use. */
function toBundle(r: DbBundleHead, bundleJson: string | undefined): HostBundle {
  let parsed: Content | undefined;
  const out: HostBundle = {
    host: r.host,
    revision: r.revision,
    generation: r.generation,
    get bundle(): Content {
      if (bundleJson === undefined) throw new BundleContentError(r.host, r.generation);
      parsed ??= JSON.parse(bundleJson) as Content;
      return parsed;
    },
    problems: JSON.parse(r.errors_json) as string[],
    sentAt: r.sent_at,
    computedAt: r.computed_at,
  };
  if (bundleJson === undefined) NOT_READ.add(out);
  return out;
}

const fromRow = (r: DbBundle): HostBundle => toBundle(r, r.bundle_json);

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

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  get: "SELECT * FROM host_bundles WHERE host = ?",
  head: "SELECT host, revision, generation, sent_at, errors_json, computed_at FROM host_bundles WHERE host = ?",
  bundleJson: "SELECT bundle_json FROM host_bundles WHERE host = ? AND generation = ?",
  generation: "SELECT generation FROM host_bundles WHERE host = ?",
  list: "SELECT * FROM host_bundles ORDER BY host",
  insert: `INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at)
     VALUES (@host, @revision, @generation, @bundleJson, NULL, @errorsJson, @now)
     ON CONFLICT (host) DO NOTHING`,
  replace: `UPDATE host_bundles SET revision = @revision, generation = @generation, bundle_json = @bundleJson,
     sent_at = NULL, errors_json = @errorsJson, computed_at = @now WHERE host = @host`,
  problems: "UPDATE host_bundles SET errors_json = ?, computed_at = ? WHERE host = ?",
  sent: "UPDATE host_bundles SET sent_at = ? WHERE host = ? AND revision = ?",
  heads: "SELECT host, revision, generation FROM host_bundles",
  headOf: "SELECT host, revision, generation FROM host_bundles WHERE host = ?",
  currentJson: "SELECT bundle_json FROM host_bundles WHERE host = ?",
  /** + jsonTextList: the hosts' current bundles. */
  currentOf: "SELECT host, revision, bundle_json FROM host_bundles WHERE host IN",
  /** + jsonTextList: the hosts' whole rows. */
  getOf: "SELECT * FROM host_bundles WHERE host IN",
  /**
   * PostgreSQL, many hosts' `sent` in one statement: rows locked in byte order of the host
   * names (the order every other multi-host writer takes them in), so it cannot deadlock.
   */
  sentManyPostgres: `WITH v AS (
      SELECT * FROM jsonb_to_recordset(?::jsonb) AS v(host text, revision text)
    ), locked AS MATERIALIZED (
      SELECT b.host FROM host_bundles b JOIN v ON v.host = b.host AND v.revision = b.revision
      ORDER BY b.host COLLATE "C" FOR NO KEY UPDATE OF b
    )
    UPDATE host_bundles AS b SET sent_at = ? FROM locked WHERE b.host = locked.host`,
};

/**
 * Each host's current bundle (table host_bundles). The host must exist in `hosts`.
 * Concurrency (PostgreSQL, several replicas): `save` locks the host's row while it decides
 * the next generation, so one generation never names two contents.
 */
export class HostBundleStore {
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
  }

  async get(host: string, on: Queryable = this.db): Promise<HostBundle | undefined> {
    const r = await on.get<DbBundle>(SQL.get, [host]);
    return r ? fromRow(r) : undefined;
  }

  /** The host's current generation; undefined when it has no bundle yet. */
  async generationOf(host: string, on: Queryable = this.db): Promise<number | undefined> {
    return (await on.get<{ generation: number }>(SQL.generation, [host]))?.generation;
  }

  async list(on: Queryable = this.db): Promise<HostBundle[]> {
    return (await on.all<DbBundle>(SQL.list)).map(fromRow);
  }

  /**
   * Stores `computed` as the host's bundle. When its revision differs from the stored one it
   * becomes a new generation (stored + 1, starting at 1); otherwise only the problems are
   * refreshed, and the bundle returned is the stored one without its content (see
   * HostBundle.bundle: the agent holds what was stored, which may differ from `computed` in
   * file positions). Returns the stored bundle and whether it is a new generation.
   */
  save(
    host: string,
    computed: ComputedBundle,
    now: number,
    on: Queryable = this.db,
  ): Promise<{ bundle: HostBundle; changed: boolean }> {
    return on.transaction(async (tx) => {
      // The row is locked (PostgreSQL) from this read to the commit; a first bundle has no row
      // to lock, so its insert does nothing when another transaction inserted one since, and
      // the decision is taken again on that row.
      for (let attempt = 0; attempt < 3; attempt++) {
        const saved = await this.saveOnce(host, computed, now, tx);
        if (saved) return saved;
      }
      throw new VirtfleetError(
        "BUNDLE_NOT_STORED",
        `the bundle of host ${host} could not be stored: its row keeps changing`,
      );
    });
  }

  /** One attempt of `save`; undefined when a concurrent first insert won (then try again). */
  private async saveOnce(
    host: string,
    computed: ComputedBundle,
    now: number,
    tx: Queryable,
  ): Promise<{ bundle: HostBundle; changed: boolean } | undefined> {
    const before = await tx.get<DbBundleHead>(SQL.head + forUpdate(tx), [host]);
    const errorsJson = JSON.stringify(computed.problems);
    if (before && before.revision === computed.revision) {
      if (before.errors_json !== errorsJson) await tx.run(SQL.problems, [errorsJson, now, host]);
      return { bundle: toBundle({ ...before, errors_json: errorsJson }, undefined), changed: false };
    }
    const generation = (before?.generation ?? 0) + 1;
    const bundleJson = `{"revision":${JSON.stringify(computed.revision)},"generation":${generation},"policies":${policiesJsonOf(computed)}}`;
    const row = { host, revision: computed.revision, generation, bundleJson, errorsJson, now };
    const { changes } = await tx.run(before ? SQL.replace : SQL.insert, row);
    // Nothing written: a concurrent save inserted the host's first bundle after our read (or
    // the row went with its host): decide again on what is stored now.
    if (changes === 0) return undefined;
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

  /**
   * The content of `bundle` (a bundle `save` returned unchanged is read now: the stored JSON
   * of its host and generation). Rejects with BUNDLE_REPLACED when a newer generation
   * replaced it since.
   */
  async content(bundle: HostBundle, on: Queryable = this.db): Promise<Content> {
    if (!NOT_READ.has(bundle)) return bundle.bundle;
    const row = await on.get<{ bundle_json: string }>(SQL.bundleJson, [bundle.host, bundle.generation]);
    if (!row)
      throw new VirtfleetError(
        "BUNDLE_REPLACED",
        `the bundle of host ${bundle.host} at generation ${bundle.generation} was replaced before it was read`,
      );
    return JSON.parse(row.bundle_json) as Content;
  }

  /** The current bundles of those of `hosts` that have one, by host, in one statement. */
  async getMany(hosts: readonly string[], on: Queryable = this.db): Promise<Map<string, HostBundle>> {
    const out = new Map<string, HostBundle>();
    if (hosts.length === 0) return out;
    const rows = await on.all<DbBundle>(`${SQL.getOf} ${jsonTextList(on)}`, [JSON.stringify(hosts)]);
    for (const r of rows) out.set(r.host, fromRow(r));
    return out;
  }

  /**
   * `markSent` for many hosts in one transaction (one statement on PostgreSQL; not durable:
   * a lost sent_at only means the bundle is sent again).
   */
  async markSentMany(
    sent: readonly { host: string; revision: string }[],
    now: number,
    on: Queryable = this.db,
  ): Promise<void> {
    if (sent.length === 0) return;
    await on.transaction(
      async (tx) => {
        if (tx.engine === "postgres") await tx.run(SQL.sentManyPostgres, [JSON.stringify(sent), now]);
        else for (const s of sent) await tx.run(SQL.sent, [now, s.host, s.revision]);
      },
      { durable: false },
    );
  }

  /** Records that the host's current bundle (`revision`) was sent. */
  async markSent(host: string, revision: string, now: number, on: Queryable = this.db): Promise<void> {
    await on.run(SQL.sent, [now, host, revision]);
  }

  /** Every host's current bundle revision and generation, or only `host`'s (no bundle JSON read). */
  heads(host?: string, on: Queryable = this.db): Promise<BundleHeadView[]> {
    return host === undefined ? on.all<BundleHeadView>(SQL.heads) : on.all<BundleHeadView>(SQL.headOf, [host]);
  }

  /** The policies (name, revision) of `host`'s current bundle; none when it has no bundle. */
  async policiesOf(host: string, on: Queryable = this.db): Promise<{ name: string; revision: string }[]> {
    return bundlePolicies((await on.get<{ bundle_json: string }>(SQL.currentJson, [host]))?.bundle_json ?? "{}");
  }

  /**
   * The current bundle revision and policies (name, revision) of each of `hosts` that has a
   * bundle, in one statement.
   */
  async currentPolicies(
    hosts: readonly string[],
    on: Queryable = this.db,
  ): Promise<Map<string, { revision: string; policies: { name: string; revision: string }[] }>> {
    const out = new Map<string, { revision: string; policies: { name: string; revision: string }[] }>();
    if (hosts.length === 0) return out;
    const rows = await on.all<{ host: string; revision: string; bundle_json: string }>(
      `${SQL.currentOf} ${jsonTextList(on)}`,
      [JSON.stringify(hosts)],
    );
    for (const r of rows) out.set(r.host, { revision: r.revision, policies: bundlePolicies(r.bundle_json) });
    return out;
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
