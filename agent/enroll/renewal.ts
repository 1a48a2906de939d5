import { backoffDelay, type BackoffOptions } from "../../common/backoff.js";
import { describeError } from "../../common/errors.js";
import type { HostPort } from "../../common/address.js";
import type { Logger } from "../../common/logging.js";
import type { AgentCredentials } from "./credential-store.js";
import { EnrolmentError } from "./errors.js";
import { onFirstController } from "./each-controller.js";

/** Renew once this share of the certificate's lifetime has passed. */
export const RENEW_AT_FRACTION = 2 / 3;
/** Look again at least this often (a clock jump, a missed timer). */
export const RENEW_CHECK_INTERVAL_MS = 3_600_000;
const RETRY_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 300_000, multiplier: 2 };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When `creds` should be renewed (ms since epoch). */
export function renewalDue(creds: Pick<AgentCredentials, "notBefore" | "notAfter">): number {
  return creds.notBefore + Math.floor((creds.notAfter - creds.notBefore) * RENEW_AT_FRACTION);
}

export interface RenewalDeps {
  /** The controllers to renew with, in the order to try them (the one the link is on first). */
  controllers: () => readonly HostPort[];
  current: () => AgentCredentials;
  /** Renews over mTLS (enroll-client renew). */
  renew: (controller: HostPort, current: AgentCredentials) => Promise<AgentCredentials>;
  /** Stores and starts using the new credentials. */
  replace: (next: AgentCredentials) => void;
  log: Logger;
  now?: () => number;
}

/**
 * Keeps the agent certificate fresh: checks at start and at least hourly, renews once 2/3 of
 * its lifetime has passed (over mTLS with the current certificate), retries failures with
 * capped backoff while the certificate is still valid, each time on every controller in turn
 * (replicas). An expired certificate cannot renew: logged as an error saying to enrol again. Timers never keep the process alive.
 */
export class RenewalScheduler {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private running = false;

  constructor(private readonly deps: RenewalDeps) {}

  start(): void {
    this.stopped = false;
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    this.timer.unref();
  }

  /** Renews when due; then schedules the next look. */
  private async check(): Promise<void> {
    if (this.stopped || this.running) return;
    const creds = this.deps.current();
    const now = this.now();
    const due = renewalDue(creds);
    if (now > creds.notAfter) {
      this.deps.log.error(
        { host: creds.host, notAfter: new Date(creds.notAfter).toISOString() },
        "this host's certificate expired and cannot be renewed; enrol again: virtfleet agent --token <new token from 'virtfleet token create'>",
      );
      return this.schedule(RENEW_CHECK_INTERVAL_MS);
    }
    if (now < due) return this.schedule(Math.min(RENEW_CHECK_INTERVAL_MS, due - now));
    this.running = true;
    try {
      const next = await onFirstController(this.deps.controllers(), (c) => this.deps.renew(c, creds));
      this.failures = 0;
      this.deps.replace(next);
      this.deps.log.info(
        { host: next.host, serial: next.serial, notAfter: new Date(next.notAfter).toISOString() },
        "certificate renewed",
      );
      this.running = false;
      return this.schedule(Math.min(RENEW_CHECK_INTERVAL_MS, renewalDue(next) - this.now()));
    } catch (err) {
      this.running = false;
      this.failures += 1;
      const retryIn = Math.min(
        backoffDelay(this.failures - 1, RETRY_BACKOFF),
        Math.max(1_000, creds.notAfter - this.now()),
      );
      const level = err instanceof EnrolmentError && err.permanent ? "error" : "warn";
      this.deps.log[level](
        { err: describeError(err), retryInMs: retryIn, notAfter: new Date(creds.notAfter).toISOString() },
        "certificate renewal failed; will retry",
      );
      return this.schedule(retryIn);
    }
  }
}
