import type { CheckResult } from "./types.js";
import { WrappedResource } from "./wrapped-resource.js";

/**
 * Wraps a resource so it is only ever checked, never changed (audit-mode policies, resources
 * the flap guard holds): the engine reports its differences as drift.
 */
export class CheckOnly extends WrappedResource {
  override get audit() {
    return true;
  }
  checkApply(signal: AbortSignal): Promise<CheckResult> {
    return this.inner.checkApply(signal, false);
  }
}
