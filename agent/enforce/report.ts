import type { ResourceId, ResourceReport } from "../engine/index.js";

/** One resource's latest outcome as sent in Report.resources. */
export interface OutcomeRecord {
  kind: string;
  name: string;
  policy: string;
  outcome: string;
  changesJson: string;
  error: string;
  pendingRestart: boolean;
}

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
 * The latest outcome of every resource of the bundle: a Report always lists the whole bundle
 * (resources not re-checked by this run keep their last outcome), so the controller can read
 * each Report on its own as the host's state.
 */
export class OutcomeBook {
  private readonly latest = new Map<ResourceId, OutcomeRecord>();

  /** Records `reports`; returns true when any outcome differs from the previous one. */
  update(reports: readonly ResourceReport[]): boolean {
    let changed = false;
    for (const r of reports) {
      const o = outcomeOf(r);
      const id = `${r.kind}/${r.name}`;
      const before = this.latest.get(id);
      if (!before || before.outcome !== o.outcome || before.changesJson !== o.changesJson || before.error !== o.error) changed = true;
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
