import { randomUUID } from "node:crypto";
import { resourceId, type ResourceId, type ResourceReport } from "../../engine/index.js";
import { driftFieldsOfChanges, type StoredDriftField } from "../../common/wire/drift.js";
import type { DriftSource } from "./triggers.js";

export type Remediation = "repaired" | "reported" | "failed" | "suppressed";
export type Classification = "corrective" | "intentional";

/** A DriftEvent's content (proto DriftEvent without event_seq). */
export interface DriftRecord {
  id: string;
  policy: string;
  kind: string;
  name: string;
  /** Values as JSON text (the outbox shape; common/wire/drift.ts maps it to the wire). */
  fields: StoredDriftField[];
  detectedAtMs: number;
  source: DriftSource;
  remediation: Remediation;
  /** 0 while unresolved. */
  resolvedAtMs: number;
  classification: Classification;
  detail: string;
}

/** What the tracker needs to know about the run that produced the reports. */
export interface DriftRunContext {
  now: number;
  /** The run applies a new bundle: what it finds or changes is intentional. */
  intentional: boolean;
  sourceOf(r: ResourceReport): DriftSource;
  /** Resources checked without repair by the flap guard, with the detail to report. */
  suppressed: ReadonlyMap<ResourceId, string>;
  newId?: () => string;
}

/**
 * Turns engine results into drift events and remembers which drifts are still open (one per
 * resource). Contract, per resource report:
 * - `changed`: the difference was repaired → a resolved `repaired` event (closing the open
 *   drift's id if there was one, e.g. a suppressed or failed one);
 * - `drift`: found but not repaired (audit mode, or held by the flap guard) → `reported` or
 *   `suppressed`, unresolved; sent again only when remediation, fields or detail change;
 * - `failed`, `blocked` (a refused change that would destroy or strand data): → `failed` with
 *   the error as detail; sent again only when the error changes;
 * - `ok`: an open drift is resolved (same id, resolvedAtMs set);
 * - `skipped`: nothing (unknown state).
 * A new drift's classification is `intentional` during a bundle run, else `corrective`.
 *
 * `detect` records drift seen by a check just before a repair (so the event does not wait for
 * the repair, which can take a second for a guest start): a new open drift with remediation
 * `repaired`, resolvedAtMs 0 and detail "repair in progress"; `derive` then sends the same id
 * resolved (or `failed`).
 */
export class DriftTracker {
  private readonly open = new Map<ResourceId, DriftRecord>();
  /** Repairs that were under way when the state was saved (the agent stopped or crashed during them). */
  private readonly interrupted = new Set<string>();

  constructor(open?: Record<ResourceId, DriftRecord>) {
    for (const [id, r] of Object.entries(open ?? {}))
      if (r && typeof r.id === "string") {
        this.open.set(id, r);
        if (r.detail === REPAIRING) this.interrupted.add(r.id);
      }
  }

  openDrift(id: ResourceId): DriftRecord | undefined {
    return this.open.get(id);
  }

  /** Opens an in-progress repair drift for each `drift` report without an open drift; returns the new events. */
  detect(reports: readonly ResourceReport[], ctx: DriftRunContext): DriftRecord[] {
    const out: DriftRecord[] = [];
    const newId = ctx.newId ?? randomUUID;
    for (const r of reports) {
      const id = resourceId(r.kind, r.name);
      if (r.outcome !== "drift" || this.open.has(id)) continue;
      const e: DriftRecord = {
        id: newId(),
        policy: r.policy,
        kind: r.kind,
        name: r.name,
        fields: fieldsOf(r),
        detectedAtMs: ctx.now,
        source: ctx.sourceOf(r),
        remediation: "repaired",
        resolvedAtMs: 0,
        classification: ctx.intentional ? "intentional" : "corrective",
        detail: REPAIRING,
      };
      this.open.set(id, e);
      out.push(e);
    }
    return out;
  }

  /** The events to record for `reports`, in report order; updates the open drifts. */
  derive(reports: readonly ResourceReport[], ctx: DriftRunContext): DriftRecord[] {
    const out: DriftRecord[] = [];
    const newId = ctx.newId ?? randomUUID;
    for (const r of reports) {
      const id = resourceId(r.kind, r.name);
      const open = this.open.get(id);
      const fresh = (remediation: Remediation, detail: string): DriftRecord => ({
        id: newId(),
        policy: r.policy,
        kind: r.kind,
        name: r.name,
        fields: fieldsOf(r),
        detectedAtMs: ctx.now,
        source: ctx.sourceOf(r),
        remediation,
        resolvedAtMs: 0,
        classification: ctx.intentional ? "intentional" : "corrective",
        detail: clip(detail),
      });
      switch (r.outcome) {
        case "changed": {
          const fields = fieldsOf(r);
          const e = open
            ? {
                ...open,
                fields: fields.length > 0 ? fields : open.fields,
                remediation: "repaired" as const,
                resolvedAtMs: ctx.now,
                detail: "",
              }
            : { ...fresh("repaired", ""), resolvedAtMs: ctx.now };
          this.open.delete(id);
          out.push(e);
          break;
        }
        case "drift": {
          const held = ctx.suppressed.get(id);
          const remediation: Remediation = held !== undefined ? "suppressed" : "reported";
          const detail = held ?? "";
          const fields = fieldsOf(r);
          if (open && open.remediation === remediation && sameFields(open.fields, fields) && open.detail === detail)
            break;
          const e = open ? { ...open, remediation, fields, detail } : fresh(remediation, detail);
          this.open.set(id, e);
          out.push(e);
          break;
        }
        case "failed":
        case "blocked": {
          const detail = clip(r.error ?? r.outcome);
          if (open && open.remediation === "failed" && open.detail === detail) break;
          const fields = fieldsOf(r);
          const e = open
            ? { ...open, remediation: "failed" as const, detail, fields: fields.length > 0 ? fields : open.fields }
            : fresh("failed", detail);
          this.open.set(id, e);
          out.push(e);
          break;
        }
        case "ok":
          if (open) {
            this.open.delete(id);
            out.push({
              ...open,
              resolvedAtMs: ctx.now,
              detail:
                open.detail !== REPAIRING
                  ? open.detail
                  : this.interrupted.has(open.id)
                    ? "in sync when the agent restarted (the repair was under way when it stopped)"
                    : "back in sync before the repair",
            });
          }
          break;
        case "skipped":
          break;
      }
    }
    return out;
  }

  /** Resolves the open drifts of resources no longer declared (a new bundle dropped them). */
  retain(ids: ReadonlySet<ResourceId>, now: number): DriftRecord[] {
    const out: DriftRecord[] = [];
    for (const [id, r] of [...this.open]) {
      if (ids.has(id)) continue;
      this.open.delete(id);
      out.push({
        ...r,
        resolvedAtMs: now,
        detail: r.detail ? `${r.detail}; no longer in the policy bundle` : "no longer in the policy bundle",
      });
    }
    return out;
  }

  snapshot(): Record<ResourceId, DriftRecord> {
    return Object.fromEntries(this.open);
  }
}

const REPAIRING = "repair in progress";
/** Detail texts stay well under the controller's 8 KiB limit. */
const MAX_DETAIL_CHARS = 2_000;

function clip(s: string): string {
  return s.length > MAX_DETAIL_CHARS ? `${s.slice(0, MAX_DETAIL_CHARS - 1)}…` : s;
}

/** Field changes as DriftFields: desired = the change's `to`, actual = its `from`. */
export function fieldsOf(r: ResourceReport): DriftRecord["fields"] {
  return driftFieldsOfChanges(r.changes);
}

function sameFields(a: DriftRecord["fields"], b: DriftRecord["fields"]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (f, i) => f.field === b[i]!.field && f.desiredJson === b[i]!.desiredJson && f.actualJson === b[i]!.actualJson,
    )
  );
}
