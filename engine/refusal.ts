import { VirtfleetError } from "../common/errors.js";
import type { FieldChange } from "../common/changes.js";

/**
 * Thrown by a resource's checkApply — in dry-run and apply alike, before anything is touched —
 * when it will not make a change. The engine reports the resource with `outcome`, the error's
 * message, and `changes` (what the policy asked for); never retried; dependents are not skipped
 * (the existing object stays in place and usable).
 * - blocked: the change would destroy or strand data (e.g. a pool holding volumes moved);
 *   the message names the field, the resource and what to do.
 * - conflict: an object of that name exists that virtfleet does not own (no ownership marker);
 *   the message says `unmanaged object with this name` and how to adopt it.
 */
export class RefusedChangeError extends VirtfleetError {
  constructor(
    readonly outcome: "blocked" | "conflict",
    message: string,
    readonly changes: FieldChange[] = [],
  ) {
    super(outcome === "blocked" ? "CHANGE_BLOCKED" : "OWNERSHIP_CONFLICT", message);
  }
}
