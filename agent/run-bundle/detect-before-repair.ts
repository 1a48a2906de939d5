import { type CheckResult, type Resource, type ResourceReport, WrappedResource } from "../../engine/index.js";

/**
 * Wraps a resource the run may change so its differences are known before it changes anything:
 * an apply first checks without change; in sync, that check is the result (no second read);
 * otherwise `onDrift` hears the differences (as a `drift` report), then the resource applies.
 * A write-ahead record of each change hangs on this (the enforcer's outbox).
 */
export class DetectBeforeRepair extends WrappedResource {
  constructor(
    inner: Resource,
    private readonly onDrift: (report: ResourceReport) => void,
  ) {
    super(inner);
  }
  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const check = await this.inner.checkApply(signal, false);
    if (!apply || check.changes.length === 0) return check;
    this.onDrift({
      kind: this.inner.kind,
      name: this.inner.name,
      policy: this.inner.policy,
      outcome: "drift",
      changes: check.changes,
      attempts: 1,
      durationMs: 0,
    });
    return this.inner.checkApply(signal, true);
  }
}
