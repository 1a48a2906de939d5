import { VirtfleetError } from "../../common/index.js";

/**
 * A singleton write refused because this replica is no longer the leader: another replica won
 * the election since (a higher epoch), or this one lost its election connection. Nothing was
 * written; the duty carries on on the new leader.
 */
export class FencedError extends VirtfleetError {
  constructor(
    readonly mine: number,
    readonly current: number | undefined,
    message: string,
  ) {
    super("FENCED", message);
  }
}
