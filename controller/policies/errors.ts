import { VirtfleetError } from "../../common/index.js";

/** The policies folder is missing or not a folder (a startup error: names the folder and the flag). */
export class PoliciesDirError extends VirtfleetError {
  readonly dir: string;

  constructor(dir: string, message: string, options?: { cause?: unknown }) {
    super("POLICIES_DIR", message, options);
    this.dir = dir;
  }
}
