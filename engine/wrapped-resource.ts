import type { CheckResult, Resource } from "./types.js";

/**
 * A resource that stands for another one: identity, dependencies, removal, policy and audit
 * mode are the inner resource's; a subclass decides only how `checkApply` reaches it
 * (CheckOnly, the agent's DetectBeforeRepair).
 */
export abstract class WrappedResource implements Resource {
  constructor(protected readonly inner: Resource) {}
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
  get audit() {
    return this.inner.audit;
  }
  abstract checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult>;
}
