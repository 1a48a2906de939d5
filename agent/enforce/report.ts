import type { StoredOutcome } from "../../common/wire/outcomes.js";
import type { ResourceId, ResourceReport } from "../../engine/index.js";

/**
 * One resource's latest outcome as recorded for Report.resources (changes as JSON text: the
 * outbox shape; common/wire/outcomes.ts maps it to the stream's protocol when sent).
 */
export type OutcomeRecord = StoredOutcome;

/** A Report's content (proto Report without event_seq). */
export interface ReportRecord {
  generation: number;
  bundleRevision: string;
  trigger: string;
  startedAtMs: number;
  durationMs: number;
  dryRun: boolean;
  resources: OutcomeRecord[];
}

export function outcomeOf(r: ResourceReport): OutcomeRecord {
  return {
    kind: r.kind,
    name: r.name,
    policy: r.policy,
    outcome: r.outcome,
    changesJson: JSON.stringify(r.changes),
    error: r.error && r.error.length > 2_000 ? `${r.error.slice(0, 1_999)}…` : (r.error ?? ""),
    pendingRestart: r.pendingRestart === true,
  };
}

/**
 * The outcome the agent reports for an engine result (common/wire/states.ts): a drifted
 * resource the flap guard holds is `suppressed`; a resource in sync or just changed whose
 * running object keeps an older configuration until it restarts is `pending-restart` (its
 * pendingRestart flag stays set, for peers before protocol 2). Anything else as the engine said.
 */
export function reportedOutcome(r: ResourceReport, suppressed: boolean): ResourceReport {
  if (suppressed && r.outcome === "drift") return { ...r, outcome: "suppressed" };
  if (r.pendingRestart === true && (r.outcome === "ok" || r.outcome === "changed"))
    return { ...r, outcome: "pending-restart" };
  return r;
}

const IN_SYNC = new Set(["ok", "changed"]);

function standingChanged(before: OutcomeRecord, now: OutcomeRecord): boolean {
  const wasInSync = IN_SYNC.has(before.outcome);
  if (wasInSync !== IN_SYNC.has(now.outcome)) return true;
  if (wasInSync) return false;
  return before.outcome !== now.outcome || before.changesJson !== now.changesJson || before.error !== now.error;
}

/**
 * The latest outcome of every resource of the bundle: a Report always lists the whole bundle
 * (resources not re-checked by this run keep their last outcome), so the controller can read
 * each Report on its own as the host's state.
 */
export class OutcomeBook {
  private readonly latest = new Map<ResourceId, OutcomeRecord>();

  /**
   * Records `reports`; returns true when a resource's standing changed: it went in or out of
   * sync (ok/changed vs drift/failed/skipped), or its failure or drift details changed. A
   * repair (ok → changed) and the re-check that follows it (changed → ok) are not a change
   * of standing: the drift event tells the repair.
   */
  update(reports: readonly ResourceReport[]): boolean {
    let changed = false;
    for (const r of reports) {
      const o = outcomeOf(r);
      const id = `${r.kind}/${r.name}`;
      const before = this.latest.get(id);
      if (!before || standingChanged(before, o)) changed = true;
      this.latest.set(id, o);
    }
    return changed;
  }

  /** Keeps only `ids`, in that order. */
  retain(ids: readonly ResourceId[]): void {
    const kept = ids.flatMap((id) => (this.latest.has(id) ? [[id, this.latest.get(id)!] as const] : []));
    this.latest.clear();
    for (const [id, o] of kept) this.latest.set(id, o);
  }

  all(): OutcomeRecord[] {
    return [...this.latest.values()];
  }
}
