import type { ResourceId } from "../../engine/index.js";

export interface FlapOptions {
  /** Repairs allowed per window; a drift found after this many is left alone. */
  threshold: number;
  windowMs: number;
}

export const DEFAULT_FLAP: FlapOptions = { threshold: 3, windowMs: 10 * 60_000 };

/** Persistable state: repair times and engagement end per resource. */
export interface FlapSnapshot {
  repairs: Record<ResourceId, number[]>;
  heldUntil: Record<ResourceId, number>;
}

/**
 * Flap guard. Contract:
 * - `recordRepair` notes a corrective repair; repairs older than the window are forgotten.
 * - A resource is *held* (must be checked, never repaired) while it had `threshold` repairs
 *   within the last window, or while it is engaged.
 * - `engage` is called when a held resource is found drifted again: it stays held for one
 *   window from then (returns the end, and whether this call engaged it — the caller raises
 *   one `suppressed` event on that edge).
 * - `release(now)` ends engagements whose window passed (forgetting their repairs) and
 *   returns those ids; `acknowledge(id | "")` does the same at once for one resource or all.
 */
export class FlapGuard {
  private readonly repairs = new Map<ResourceId, number[]>();
  private readonly heldUntil = new Map<ResourceId, number>();

  constructor(
    readonly options: FlapOptions = DEFAULT_FLAP,
    snapshot?: FlapSnapshot,
  ) {
    if (snapshot) {
      for (const [id, ts] of Object.entries(snapshot.repairs ?? {}))
        if (Array.isArray(ts))
          this.repairs.set(
            id,
            ts.filter((t) => typeof t === "number"),
          );
      for (const [id, t] of Object.entries(snapshot.heldUntil ?? {}))
        if (typeof t === "number") this.heldUntil.set(id, t);
    }
  }

  recordRepair(id: ResourceId, now: number): void {
    const recent = this.recent(id, now);
    recent.push(now);
    this.repairs.set(id, recent);
  }

  isHeld(id: ResourceId, now: number): boolean {
    const until = this.heldUntil.get(id);
    if (until !== undefined && until > now) return true;
    return this.recent(id, now).length >= this.options.threshold;
  }

  isEngaged(id: ResourceId, now: number): boolean {
    const until = this.heldUntil.get(id);
    return until !== undefined && until > now;
  }

  engage(id: ResourceId, now: number): { until: number; engagedNow: boolean } {
    const until = this.heldUntil.get(id);
    if (until !== undefined && until > now) return { until, engagedNow: false };
    const end = now + this.options.windowMs;
    this.heldUntil.set(id, end);
    return { until: end, engagedNow: true };
  }

  /** Ends engagements whose window passed; returns their ids. */
  release(now: number): ResourceId[] {
    const out: ResourceId[] = [];
    for (const [id, until] of this.heldUntil) {
      if (until <= now) {
        this.heldUntil.delete(id);
        this.repairs.delete(id);
        out.push(id);
      }
    }
    return out;
  }

  /** Lifts the guard for `resource` ("kind/name"), or for every resource when empty; returns the ids released. */
  acknowledge(resource: string): ResourceId[] {
    const ids = resource === "" ? [...new Set([...this.heldUntil.keys(), ...this.repairs.keys()])] : [resource];
    const released = ids.filter((id) => this.heldUntil.has(id) || this.repairs.has(id));
    for (const id of ids) {
      this.heldUntil.delete(id);
      this.repairs.delete(id);
    }
    return released;
  }

  /** The earliest engagement end, or null. */
  nextRelease(): number | null {
    let min: number | null = null;
    for (const t of this.heldUntil.values()) if (min === null || t < min) min = t;
    return min;
  }

  /** Keeps only resources in `ids` (e.g. after a new bundle). */
  retain(ids: ReadonlySet<ResourceId>): void {
    for (const id of [...this.repairs.keys()]) if (!ids.has(id)) this.repairs.delete(id);
    for (const id of [...this.heldUntil.keys()]) if (!ids.has(id)) this.heldUntil.delete(id);
  }

  snapshot(): FlapSnapshot {
    return { repairs: Object.fromEntries(this.repairs), heldUntil: Object.fromEntries(this.heldUntil) };
  }

  private recent(id: ResourceId, now: number): number[] {
    return (this.repairs.get(id) ?? []).filter((t) => now - t < this.options.windowMs);
  }
}
