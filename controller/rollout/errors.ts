import { VirtfleetError } from "../../common/index.js";

/** An operator command or event does not apply to the rollout's current state. */
export class RolloutStateError extends VirtfleetError {
  constructor(message: string) {
    super("ROLLOUT_STATE", message);
  }
}

/** A second active rollout for a policy that already has one. */
export class RolloutConflictError extends VirtfleetError {
  constructor(message: string) {
    super("ROLLOUT_CONFLICT", message);
  }
}
