import type { CheckResult, Resource } from "./types.js";

/**
 * Wraps a resource so it is only ever checked, never changed (audit-mode policies, resources
 * the flap guard holds): the engine reports its differences as drift.
 */
export class CheckOnly implements Resource {
  readonly audit = true;
  constructor(private readonly inner: Resource) {}
  get kind() {
    return this.inner.kind;
  }
  get name() {
    return this.inner.name;
  }
  get dependsOn() {
    return this.inner.dependsOn;
  }
  get removing() {
    return this.inner.removing;
  }
  get policy() {
    return this.inner.policy;
  }
  checkApply(signal: AbortSignal): Promise<CheckResult> {
    return this.inner.checkApply(signal, false);
  }
}
