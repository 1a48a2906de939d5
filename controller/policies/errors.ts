import { VirtfleetError } from "../../common/index.js";

/** The policies folder is missing or not a folder (a startup error: names the folder and the flag). */
export class PoliciesDirError extends VirtfleetError {
  readonly dir: string;

  constructor(dir: string, message: string, options?: { cause?: unknown }) {
    super("POLICIES_DIR", message, options);
    this.dir = dir;
  }
}

/**
 * `policy push` refused by this controller: it loads a policies folder (`reason` "folder": the
 * folder is the source of truth there), or it is not the leader (`reason` "not-leader": only
 * the leader stores revisions; push to it).
 */
export class PolicyPushRefusedError extends VirtfleetError {
  constructor(
    readonly reason: "folder" | "not-leader",
    message: string,
  ) {
    super("POLICY_PUSH_REFUSED", message);
  }
}
