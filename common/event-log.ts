import type { LogFn, Logger } from "pino";

/**
 * The part of a logger the resources and the bundle runner write to (kinds/, agent/run-bundle/).
 * A pino Logger is one; so is `DeferredLogger`, which short commands use.
 */
export type EventLog = Pick<Logger, "info" | "warn">;

type Level = "info" | "warn";

/**
 * A logger for short commands (`apply --local`) that loads pino (~20 ms of a re-check's start-up,
 * docs/benchmarks.md) only when a line is written: lines written before it has loaded are queued
 * and written in order once it has.
 *
 * Contract: `settled()` resolves once every line written so far has reached the logger
 * (`createLogger`: JSON lines on stderr, secrets redacted); the command awaits it before it ends.
 */
export class DeferredLogger implements EventLog {
  private logger: Logger | undefined;
  private loading: Promise<void> | undefined;
  private readonly queue: Array<{ level: Level; args: unknown[] }> = [];

  constructor(private readonly name: string) {}

  readonly info = ((...args: unknown[]) => this.write("info", args)) as LogFn;
  readonly warn = ((...args: unknown[]) => this.write("warn", args)) as LogFn;

  /** Resolves when every queued line has been written (at once when nothing was). */
  async settled(): Promise<void> {
    await this.loading;
  }

  private write(level: Level, args: unknown[]): void {
    if (this.logger) {
      Reflect.apply(this.logger[level], this.logger, args);
      return;
    }
    this.queue.push({ level, args });
    this.loading ??= import("./logging.js").then(({ createLogger }) => {
      const logger = createLogger(this.name);
      this.logger = logger;
      for (const line of this.queue.splice(0)) Reflect.apply(logger[line.level], logger, line.args);
    });
  }
}
