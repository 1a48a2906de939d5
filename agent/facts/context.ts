import { join } from "node:path";
import { describeError } from "../../common/errors.js";
import { Io } from "./io.js";
import type { ResolvedOptions } from "./options.js";

/** State shared by the sources of one collection. */
export class Context {
  readonly io: Io;
  readonly errors: { source: string; message: string }[] = [];

  constructor(readonly opts: ResolvedOptions) {
    this.io = new Io(opts.concurrency);
  }

  /** A path under the configured sysfs root. */
  sys(...parts: string[]): string {
    return join(this.opts.sysRoot, ...parts);
  }

  /** A path under the configured procfs root. */
  proc(...parts: string[]): string {
    return join(this.opts.procRoot, ...parts);
  }

  /** Records that `source` could not be read (fully or partly). */
  fail(source: string, err: unknown): void {
    this.errors.push({ source, message: describeError(err) });
  }
}
