import type { ResourceId, ResourceKind } from "../../engine/index.js";

/** Why a convergence runs (Report.trigger). */
export type TriggerName = "startup" | "bundle" | "resync" | "event";

/** DriftEvent.source: a watch fired, a periodic/explicit re-check, or a new bundle applied. */
export type DriftSource = "event" | "resync" | "apply";

/** What to re-check, keyed by how it was noticed. */
export type Target = { type: "all" } | { type: "kind"; kind: ResourceKind } | { type: "id"; id: ResourceId };

/**
 * Triggers merged into one pending run. Contract: merging is commutative; a run that
 * includes a full check checks everything; its Report.trigger is the most significant
 * reason (bundle > startup > resync > event).
 */
export class PendingRun {
  readonly reasons = new Set<TriggerName>();
  full = false;
  /** Resources or kinds to check and whether an event (vs a re-check) asked for them. */
  readonly ids = new Map<ResourceId, "event" | "resync">();
  readonly kinds = new Map<ResourceKind, "event" | "resync">();

  add(reason: TriggerName, targets: readonly Target[]): this {
    this.reasons.add(reason);
    const how = reason === "event" ? "event" : "resync";
    for (const t of targets) {
      if (t.type === "all") this.full = true;
      else if (t.type === "kind") this.kinds.set(t.kind, this.kinds.get(t.kind) === "event" ? "event" : how);
      else this.ids.set(t.id, this.ids.get(t.id) === "event" ? "event" : how);
    }
    return this;
  }

  merge(other: PendingRun): this {
    for (const r of other.reasons) this.reasons.add(r);
    this.full ||= other.full;
    for (const [id, how] of other.ids) this.ids.set(id, this.ids.get(id) === "event" ? "event" : how);
    for (const [k, how] of other.kinds) this.kinds.set(k, this.kinds.get(k) === "event" ? "event" : how);
    return this;
  }

  get trigger(): TriggerName {
    for (const r of ["bundle", "startup", "resync", "event"] as const) if (this.reasons.has(r)) return r;
    return "event";
  }

  /** A new bundle is part of this run: what it changes is intentional. */
  get intentional(): boolean {
    return this.reasons.has("bundle");
  }

  selects(id: ResourceId, kind: ResourceKind): boolean {
    return this.full || this.ids.has(id) || this.kinds.has(kind);
  }

  /** DriftEvent.source for a resource checked in this run. */
  sourceOf(id: ResourceId, kind: ResourceKind): DriftSource {
    if (this.intentional) return "apply";
    return this.ids.get(id) === "event" || this.kinds.get(kind) === "event" ? "event" : "resync";
  }
}
