/**
 * What the CLI does when its reader goes away (`virtfleet audit --json | head`): writing to a
 * closed pipe fails with EPIPE, asynchronously, as an 'error' event on the stream — unhandled,
 * it crashes the process with a stack trace. Contract, for every command (installed once by
 * cli/main.ts):
 * - stdout closed: the process ends at once, quietly, with the exit code the command has set
 *   so far (0 when none), as a Unix filter killed by SIGPIPE would stop; long-running
 *   commands (`drift watch`, `rollout status --watch`) stop too;
 * - stderr closed: its writes are dropped (there is nowhere left to report anything);
 * - any other write error on either stream is left to Node's default handling.
 */
export function exitQuietlyOnClosedOutput(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
  process.stderr.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}
