import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "../../common/logging.js";

export const LINK_WATCH_RESTART_MS = 5_000;

/**
 * Host networking's event source: `ip monitor link` (argv, no shell) as a trigger only. Any
 * output means "some link may have changed" — the line itself is never parsed or trusted;
 * the host networking resource then re-reads everything with `ip -json` (level-triggered).
 * Bursts are coalesced by the caller. If `ip monitor` exits, it is restarted after
 * LINK_WATCH_RESTART_MS; the periodic resync backs it up meanwhile.
 */
export class LinkWatcher {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly onChange: () => void,
    private readonly log: Logger,
    private readonly argv: readonly string[] = ["monitor", "link"],
  ) {}

  start(): void {
    if (this.closed) return;
    const child = spawn("ip", [...this.argv], { stdio: ["ignore", "pipe", "ignore"] });
    this.child = child;
    child.stdout?.on("data", () => this.onChange());
    child.on("error", (err) => this.log.warn({ err: err.message }, "ip monitor link could not run"));
    child.on("exit", (code) => {
      if (this.closed) return;
      this.log.warn(
        { code },
        "ip monitor link ended; restarting it (host networking is re-checked by resync meanwhile)",
      );
      this.timer = setTimeout(() => this.start(), LINK_WATCH_RESTART_MS);
      this.timer.unref();
    });
    // the watcher never keeps the agent alive
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.child && this.child.exitCode === null) this.child.kill("SIGTERM");
  }
}
