import { NotFoundError, type Logger, type Queryable, type SqliteDatabase } from "../../common/index.js";
import type { HostConditions } from "../hosts/index.js";
import { ComplianceReader } from "./compliance-reader.js";
import { ComplianceTally, DEFAULT_TALLY_OPTIONS, type TallyOptions } from "./compliance-tally.js";
import { hostCompliance, hostSummary } from "./compute.js";
import { MAX_TREND_POINTS, scheduleSnapshots, SnapshotStore, type FleetTrendPoint } from "./snapshots.js";
import type { AlertsStatus, ComplianceReport, HostComplianceJson } from "./types.js";

/** summariesOf reads host by host up to this many names; the whole fleet's inputs at once past it. */
const PER_HOST_READS_UP_TO = 20;

/**
 * The controller's compliance view: the live document (with the alerts block when a status
 * source is set), per-host summaries, scheduled snapshots answered by `at()`, and `tally`:
 * every host's status in memory (ComplianceTally; the controller touches it through
 * touchOnChanges) for fleet and per-policy counts without computing the whole document.
 * On PostgreSQL the tally's full pass reads the fleet's inputs at once (`everyHost`: a few
 * statements, not a transaction per host, each a round trip); on SQLite host by host.
 */
export class ComplianceService {
  readonly reader: ComplianceReader;
  /** Every host's compliance in memory, read host by host through `host()` (same rules as `current()`). */
  readonly tally: ComplianceTally;
  private readonly snapshots: SnapshotStore;
  private stopSchedule: (() => void) | undefined;

  constructor(
    db: SqliteDatabase | Queryable,
    private readonly log: Logger,
    private readonly alertsStatus?: () => AlertsStatus | Promise<AlertsStatus>,
    private readonly now: () => number = Date.now,
    /** Hosts whose compliance is unknown (their latest events could not be stored). */
    private readonly conditions?: HostConditions,
    tallyOptions: Partial<TallyOptions> = {},
  ) {
    this.reader = new ComplianceReader(db);
    this.snapshots = new SnapshotStore(db);
    this.tally = new ComplianceTally(
      {
        host: (name) => this.host(name),
        names: () => this.reader.hostNames(),
        ...(this.reader.engine === "postgres" ? { everyHost: () => this.everyHost() } : {}),
      },
      { ...DEFAULT_TALLY_OPTIONS, ...tallyOptions },
      now,
    );
  }

  async current(): Promise<ComplianceReport> {
    const read = await this.reader.report(this.now());
    const hosts = read.hosts.map((h) => this.known(h));
    const compliant = hosts.filter((h) => h.compliant).length;
    const report: ComplianceReport = {
      ...read,
      hosts,
      fleet: {
        ...read.fleet,
        compliant,
        percent: hosts.length === 0 ? 100 : Math.round((compliant / hosts.length) * 1000) / 10,
      },
    };
    return this.alertsStatus ? { ...report, alerts: await this.alertsStatus() } : report;
  }

  async host(name: string): Promise<HostComplianceJson | undefined> {
    const h = await this.reader.host(name);
    return h && this.known(h);
  }

  /** Every host's compliance (as `host()` gives it) from one read of the inputs, computed as the iterable is walked. */
  private async everyHost(): Promise<Iterable<HostComplianceJson>> {
    const inputs = await this.reader.inputs();
    const known = (h: HostComplianceJson) => this.known(h);
    return (function* () {
      for (const input of inputs) yield known(hostCompliance(input));
    })();
  }

  /** A host whose latest events could not be stored is shown unknown (not compliant), with why. */
  private known(h: HostComplianceJson): HostComplianceJson {
    const unknownReason = this.conditions?.complianceUnknownReason(h.name) ?? "";
    return unknownReason ? { ...h, compliant: false, unknownReason } : h;
  }

  /**
   * Compliance summaries of `names` (a page of `hosts --json`): per-host reads for a few, one
   * read of the whole fleet's inputs (a handful of statements) for more than
   * PER_HOST_READS_UP_TO (a page of 1,000 hosts read host by host was ~7,000 round trips on
   * PostgreSQL).
   */
  async summariesOf(
    names: readonly string[],
  ): Promise<Map<string, { compliant: boolean; policies: number; drifted: number; unknownReason?: string }>> {
    const out = new Map<string, { compliant: boolean; policies: number; drifted: number; unknownReason?: string }>();
    const add = (h: HostComplianceJson) =>
      out.set(h.name, { ...hostSummary(h), ...(h.unknownReason ? { unknownReason: h.unknownReason } : {}) });
    if (names.length > PER_HOST_READS_UP_TO) {
      const wanted = new Set(names);
      for (const h of await this.everyHost()) if (wanted.has(h.name)) add(h);
      return out;
    }
    for (const name of names) {
      const h = await this.host(name);
      if (h) add(h);
    }
    return out;
  }

  /** Stores the current document as a snapshot and returns it. */
  async snapshot(): Promise<ComplianceReport> {
    const report = await this.current();
    await this.snapshots.save(Date.parse(report.generatedAt), JSON.stringify(report), undefined, report.fleet);
    this.log.info({ hosts: report.fleet.hosts, percent: report.fleet.percent }, "compliance snapshot stored");
    return report;
  }

  /** The latest snapshot at or before `at` (ms); NotFoundError when none is that old. */
  async at(at: number): Promise<string> {
    const s = await this.snapshots.at(at);
    if (!s)
      throw new NotFoundError(
        `no compliance snapshot at or before ${new Date(at).toISOString()} (snapshots are taken on the controller's --compliance-snapshot schedule)`,
      );
    return s.reportJson;
  }

  /** `at()` as the document (snapshots stored by earlier releases have the same shape). */
  async reportAt(at: number): Promise<ComplianceReport> {
    return JSON.parse(await this.at(at)) as ComplianceReport;
  }

  /** The fleet percentage of the snapshots taken in [from, to] (ms), oldest first, at most `points`. */
  trend(from: number, to: number, points = MAX_TREND_POINTS): Promise<FleetTrendPoint[]> {
    return this.snapshots.trend(from, to, points);
  }

  startSchedule(expr: string): void {
    this.stopSchedule = scheduleSnapshots(expr, () => this.snapshot(), this.log);
  }

  stop(): void {
    this.stopSchedule?.();
    this.stopSchedule = undefined;
  }
}
