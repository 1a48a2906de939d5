/** Event-loop lag (ms) above which new connections wait before their handshake starts. */
export const BUSY_LAG_MS = 100;
/** A connection that waited this long is closed instead (its client's own deadline is near: a handshake now would be wasted). */
export const MAX_ADMISSION_WAIT_MS = 7_000;
/** Connections handed on per drain tick (every ADMISSION_TICK_MS) while not busy. */
export const ADMIT_PER_TICK = 25;
export const ADMISSION_TICK_MS = 20;

/** What the queue needs of a connection. */
export interface Admissible {
  readonly destroyed: boolean;
  destroy(): void;
}

export interface AdmissionStats {
  /** Waiting now. */
  waiting: number;
  /** Ever made to wait. */
  deferred: number;
  /** Closed after waiting MAX_ADMISSION_WAIT_MS. */
  shed: number;
}

/**
 * Handshake admission for a listener. A connection is handed on (its `admit`) at once while the
 * process keeps up (`busy()` false, nobody waiting); otherwise it waits in arrival order and is
 * handed on ADMIT_PER_TICK per tick whenever `busy()` is false. Waiting costs a socket and a
 * few bytes, no CPU: under a storm of TLS handshakes (~2–3 ms of CPU each) the CPU goes to
 * handshakes that finish within the clients' deadline instead of to ones the clients abandon
 * and retry. A connection closed by its client while waiting is dropped; one that waited
 * MAX_ADMISSION_WAIT_MS is closed (`shed`). Deterministic given `busy` and `now` (tests).
 */
export class AdmissionQueue<S extends Admissible> {
  private readonly queue: { socket: S; admit: () => void; since: number }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private deferred = 0;
  private shed = 0;

  constructor(
    private readonly busy: () => boolean,
    private readonly onShed: (stats: AdmissionStats) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly schedule: (run: () => void) => NodeJS.Timeout = (run) => setInterval(run, ADMISSION_TICK_MS).unref(),
  ) {}

  /** Calls `admit` now or later (never for a connection closed or shed meanwhile). */
  offer(socket: S, admit: () => void): void {
    if (this.waiting() === 0 && !this.busy()) return admit();
    this.deferred++;
    this.queue.push({ socket, admit, since: this.now() });
    this.timer ??= this.schedule(() => this.drain());
  }

  /** One tick: sheds the connections that waited too long, then admits up to ADMIT_PER_TICK unless busy. */
  drain(): void {
    const now = this.now();
    let admitted = 0;
    while (this.head < this.queue.length) {
      const { socket, admit, since } = this.queue[this.head]!;
      if (socket.destroyed) {
        this.head++;
        continue;
      }
      if (now - since >= MAX_ADMISSION_WAIT_MS) {
        this.head++;
        this.shed++;
        socket.destroy();
        this.onShed(this.stats());
        continue;
      }
      if (admitted >= ADMIT_PER_TICK || this.busy()) break;
      this.head++;
      admitted++;
      admit();
    }
    if (this.head > 1_024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.waiting() === 0) this.stop();
  }

  stats(): AdmissionStats {
    return { waiting: this.waiting(), deferred: this.deferred, shed: this.shed };
  }

  /** Stops the tick; waiting connections are closed. */
  close(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.socket.destroy();
    this.queue.length = 0;
    this.head = 0;
    this.stop();
  }

  private waiting(): number {
    return this.queue.length - this.head;
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Event-loop lag, sampled every `everyMs` (timer unref'd): how late the last sample fired.
 * `lagMs()` is the latest lag; `stop()` ends the sampling.
 */
export function watchLoopLag(everyMs = 20): { lagMs(): number; stop(): void } {
  let lag = 0;
  let expected = performance.now() + everyMs;
  const timer = setInterval(() => {
    const t = performance.now();
    lag = Math.max(0, t - expected);
    expected = t + everyMs;
  }, everyMs);
  timer.unref();
  return { lagMs: () => lag, stop: () => clearInterval(timer) };
}
