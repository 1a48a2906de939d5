import { hostStatus } from "./compute.js";
import type { HostComplianceJson, PolicyStatus, ResourceCounts } from "./types.js";

/** One host's compliance as the tally keeps it: its one status and each policy's (with its resource counts). */
export interface TalliedHost {
  status: PolicyStatus;
  policies: readonly { name: string; status: PolicyStatus; resources: ResourceCounts }[];
}

/** Compliance statuses of the CLI contract (PolicyStatus), best first. */
export const COMPLIANCE_STATUSES: readonly PolicyStatus[] = [
  "compliant",
  "drifted",
  "failed",
  "pending",
  "pending-restart",
];

/** One policy over the tallied hosts whose current bundle carries it. */
export interface TallyPolicyCounts {
  hosts: number;
  byStatus: Record<PolicyStatus, number>;
  /** Sums of the hosts' resource counts for this policy. */
  resources: ResourceCounts;
}

/** What `counts()` returns: the fleet and each policy, counted from memory. */
export interface TallyCounts {
  /** Hosts held, by their one status (hostStatus: a host whose events could not be stored is pending). */
  hosts: Record<PolicyStatus, number>;
  total: number;
  /** compliant / total; 1 for an empty fleet (the CLI's 100 %). */
  fleetRatio: number;
  policies: Map<string, TallyPolicyCounts>;
  /** When the last full pass started (ms), or undefined before the first completed. */
  fullPassAt: number | undefined;
}

export const zeroStatuses = (): Record<PolicyStatus, number> => ({
  compliant: 0,
  drifted: 0,
  failed: 0,
  pending: 0,
  "pending-restart": 0,
});

/** Where the tally reads compliance: one host at a time (ComplianceService.host) and the enrolled names. */
export interface TallySource {
  host(name: string): Promise<HostComplianceJson | undefined>;
  names(): Promise<string[]>;
  /**
   * Optional: every enrolled host's compliance from one read of the store (a few statements
   * for the whole fleet), each host's computed only when the iterable reaches it. When given,
   * a full pass uses it instead of `names` and `host` per host (ComplianceService gives it on
   * PostgreSQL, where each statement is a round trip; on SQLite a pass stays host by host, so
   * no single synchronous read holds the event loop).
   */
  everyHost?(): Promise<Iterable<HostComplianceJson>>;
}

export interface TallyOptions {
  /** Hosts read per event-loop turn (then the loop gets a turn: agents' streams keep flowing). */
  chunk: number;
  /** A full pass over every host at least this often (catches what no hook announces). */
  reconcileEveryMs: number;
  /**
   * With `TallySource.everyHost`: when at least this many hosts are touched (a revision sent to
   * the fleet), `update()` reads them by a full pass (a few statements) instead of one by one
   * (a few statements each). Default DEFAULT_FULL_PASS_FROM.
   */
  fullPassFrom?: number;
}

/** 100 hosts a turn (~30 ms of reads here); every host again every 10 minutes. */
export const DEFAULT_TALLY_OPTIONS: TallyOptions = { chunk: 100, reconcileEveryMs: 600_000 };

/**
 * Touched hosts from which a full pass through `everyHost` is cheaper than reading each: a host
 * read is ~8 statements (round trips on PostgreSQL), a pass ~5 plus one per bundle revision.
 */
export const DEFAULT_FULL_PASS_FROM = 500;

/**
 * Every host's compliance status, kept in memory and updated host by host, so a scrape (or the
 * dashboard's /compliance page) counts from memory instead of computing the fleet's compliance document (1.6–2.6 s of one blocking
 * read at 10,000 hosts, bench/metrics-scrape.ts). Contract:
 * - `touch(host)`: the host's compliance may have changed (its events were stored, it was sent
 *   a bundle); the next `update()` reads it again;
 * - `update()`: reads the touched hosts (a full pass first, when none has completed, when one is
 *   due, or when `enrolled` differs from the hosts held) and resolves when they are read; a full
 *   pass that is merely due runs in the background (the current figures are served meanwhile);
 *   with `everyHost`, a full pass it awaits (or `fullPassFrom` touched hosts) also reads the
 *   hosts touched before it, which are then not read one by one;
 * - reads go `chunk` hosts per event-loop turn; a host touched while it is read is read again;
 * - a full pass reads host by host, or (`TallySource.everyHost`, on PostgreSQL) every host in
 *   one read of the store, computed `chunk` per turn; a host touched after that read began
 *   keeps what its own read finds;
 * - a host that is gone (removed) is dropped by its read or by the next full pass;
 * - who touches: the controller's one instance (ComplianceService.tally) is touched by
 *   `touchOnChanges` (tally-hooks.ts): every host of a written ingest batch (stored events or
 *   a failed store) and every host sent a bundle.
 * The figures are those of ComplianceService.host for each host: the same rules as
 * `compliance --json`, at most one full pass old for what no hook announces.
 */
export class ComplianceTally {
  private readonly hosts = new Map<string, TalliedHost>();
  private readonly touched = new Set<string>();
  private reconciledAt: number | undefined;
  private reconciling: Promise<void> | undefined;
  /**
   * While a full pass through `everyHost` runs: hosts touched since its read began. Its
   * figures for them may predate the change, so it leaves them to the per-host reads.
   */
  private touchedSinceRead: Set<string> | undefined;
  /** markStale() was called since the last full pass started. */
  private stale = false;

  constructor(
    private readonly source: TallySource,
    private readonly options: TallyOptions = DEFAULT_TALLY_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Changes may have gone unannounced (another replica's `ingest` signals lost while this
   * replica's listening connection was down): the next `update()` starts a full pass, as a
   * due one (in the background).
   */
  markStale(): void {
    this.stale = true;
  }

  touch(host: string): void {
    this.touched.add(host);
    this.touchedSinceRead?.add(host);
  }

  get size(): number {
    return this.hosts.size;
  }

  /** Brings the tally up to date (see the class contract); `enrolled`: how many hosts the store has, when known. */
  async update(enrolled?: number): Promise<void> {
    const mustPass = this.reconciledAt === undefined || (enrolled !== undefined && enrolled !== this.hosts.size);
    const manyTouched =
      this.source.everyHost !== undefined && this.touched.size >= (this.options.fullPassFrom ?? DEFAULT_FULL_PASS_FROM);
    if ((mustPass || manyTouched) && this.source.everyHost && !this.reconciling) {
      // A pass that starts now reads every host touched so far.
      const covered = [...this.touched];
      this.touched.clear();
      try {
        await this.reconcile();
      } catch (err) {
        for (const name of covered) this.touched.add(name);
        throw err;
      }
    } else if (mustPass) await this.reconcile();
    else if (
      this.reconciledAt !== undefined &&
      (this.stale || this.now() - this.reconciledAt >= this.options.reconcileEveryMs)
    )
      void this.reconcile().catch(() => {});
    const names = [...this.touched];
    this.touched.clear();
    await this.read(names);
  }

  /** The hosts held, with their tallied compliance. */
  entries(): IterableIterator<[string, TalliedHost]> {
    return this.hosts.entries();
  }

  /** How often a full pass is due (ms; TallyOptions.reconcileEveryMs). */
  get fullPassEveryMs(): number {
    return this.options.reconcileEveryMs;
  }

  /** When the last completed full pass started (ms since the epoch); undefined before the first. */
  get fullPassAt(): number | undefined {
    return this.reconciledAt;
  }

  /** The held hosts counted: by status, and per policy (hosts by status, resource sums). No reads. */
  counts(): TallyCounts {
    const hosts = zeroStatuses();
    const policies = new Map<string, TallyPolicyCounts>();
    let total = 0;
    for (const h of this.hosts.values()) {
      total += 1;
      hosts[h.status] += 1;
      for (const p of h.policies) {
        let f = policies.get(p.name);
        if (!f)
          policies.set(
            p.name,
            (f = { hosts: 0, byStatus: zeroStatuses(), resources: { ok: 0, drift: 0, failed: 0, pendingRestart: 0 } }),
          );
        f.hosts += 1;
        f.byStatus[p.status] += 1;
        f.resources.ok += p.resources.ok;
        f.resources.drift += p.resources.drift;
        f.resources.failed += p.resources.failed;
        f.resources.pendingRestart += p.resources.pendingRestart;
      }
    }
    return {
      hosts,
      total,
      fleetRatio: total === 0 ? 1 : hosts.compliant / total,
      policies,
      fullPassAt: this.reconciledAt,
    };
  }

  /**
   * A full pass: every enrolled host read again, hosts no longer enrolled dropped. One at a
   * time; through `source.everyHost` when the source has it (one read, then `chunk` hosts
   * computed per event-loop turn), else host by host.
   */
  private reconcile(): Promise<void> {
    this.reconciling ??= (async () => {
      try {
        const startedAt = this.now();
        this.stale = false;
        if (this.source.everyHost) {
          this.touchedSinceRead = new Set();
          await this.readAll(await this.source.everyHost(), this.touchedSinceRead);
        } else {
          const names = await this.source.names();
          const enrolled = new Set(names);
          for (const h of [...this.hosts.keys()]) if (!enrolled.has(h)) this.hosts.delete(h);
          await this.read(names);
        }
        this.reconciledAt = startedAt;
      } finally {
        this.touchedSinceRead = undefined;
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  private async read(names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i += this.options.chunk) {
      if (i > 0) await yieldTurn();
      for (const name of names.slice(i, i + this.options.chunk)) {
        const h = await this.source.host(name);
        if (!h) this.hosts.delete(name);
        else this.hold(h);
      }
    }
  }

  /**
   * Holds every host of `all` (`chunk` per event-loop turn) and drops the hosts it lacks,
   * except those in `fresher` (touched after `all` was read: their per-host read decides).
   */
  private async readAll(all: Iterable<HostComplianceJson>, fresher: ReadonlySet<string>): Promise<void> {
    const seen = new Set<string>();
    let n = 0;
    for (const h of all) {
      if (n > 0 && n % this.options.chunk === 0) await yieldTurn();
      n += 1;
      seen.add(h.name);
      if (!fresher.has(h.name)) this.hold(h);
    }
    for (const name of [...this.hosts.keys()]) if (!seen.has(name) && !fresher.has(name)) this.hosts.delete(name);
  }

  private hold(h: HostComplianceJson): void {
    this.hosts.set(h.name, {
      status: hostStatus(h),
      policies: h.policies.map((p) => ({ name: p.name, status: p.status, resources: { ...p.resources } })),
    });
  }
}

/** Lets the event loop run (agents' streams) before the next chunk. */
function yieldTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
