import type { CheckResult, Resource } from "../engine/index.js";

/** A resource the flap guard holds: checked like an audit-mode resource, never changed. */
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
