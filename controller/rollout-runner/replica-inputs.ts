import { describeError, type Logger, VirtfleetError } from "../../common/index.js";
import type { ReplicaSignals } from "../replicas/index.js";

/**
 * What a follower's runner tells the leader's about the streams it holds, on the `host`
 * channel (controller/replicas/signals.ts), one id per fact:
 * - `online:<host>`: the host's stream is open here (its Hello committed);
 * - `offline:<host>`: the host's stream here ended;
 * - `delivered:<host>:<generation>`: the host's stream was given (or already held) the bundle
 *   of that generation;
 * - `removed:<host>`: `host remove` on this replica (the host leaves every rollout).
 * Reports and drift need none: the ingest path publishes `ingest` and `drift`.
 */
export type HostInput =
  | { type: "online"; host: string }
  | { type: "offline"; host: string }
  | { type: "removed"; host: string }
  | { type: "delivered"; host: string; generation: number };

export function hostInputId(i: HostInput): string {
  return i.type === "delivered" ? `delivered:${i.host}:${i.generation}` : `${i.type}:${i.host}`;
}

/** The input an id names, or undefined for an id this version does not know (ignored). */
export function parseHostInput(id: string): HostInput | undefined {
  const colon = id.indexOf(":");
  if (colon < 0) return undefined;
  const type = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if ((type === "online" || type === "offline" || type === "removed") && rest) return { type, host: rest };
  if (type !== "delivered") return undefined;
  const last = rest.lastIndexOf(":");
  const host = rest.slice(0, last);
  const generation = Number(rest.slice(last + 1));
  if (last <= 0 || !Number.isSafeInteger(generation) || generation < 0) return undefined;
  return { type, host, generation };
}

/**
 * Publishes host inputs on the `host` channel, those of one event-loop turn together (a
 * thousand agents connecting at once make a few NOTIFYs, not a thousand), one publish after
 * the other (a turn's inputs never overtake an earlier turn's). A failed publish is logged:
 * the leader re-reads the streams' state from the store after its own resync or takeover.
 */
export class HostInputPublisher {
  private pending: string[] = [];
  private turn: NodeJS.Immediate | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly signals: ReplicaSignals,
    private readonly log: Logger,
  ) {}

  add(input: HostInput): void {
    this.pending.push(hostInputId(input));
    this.turn ??= setImmediate(() => this.flush());
  }

  /** Resolves once everything added so far is published (or failed). */
  async idle(): Promise<void> {
    if (this.turn) {
      clearImmediate(this.turn);
      this.flush();
    }
    await this.chain;
  }

  stop(): void {
    clearImmediate(this.turn);
    this.turn = undefined;
    this.pending = [];
  }

  private flush(): void {
    this.turn = undefined;
    const ids = this.pending.splice(0);
    if (ids.length === 0) return;
    this.chain = this.chain.then(() =>
      this.signals.publish("host", ids).catch((err: unknown) => {
        this.log.warn({ err: describeError(err) }, "telling the leader about this replica's agent streams failed");
      }),
    );
  }
}

/**
 * An operator command that only the leader's rollout runner applies (control), asked of a
 * follower. Admin handlers answer FAILED_PRECONDITION naming the leader's address
 * (as policy push does).
 */
export class NotLeaderError extends VirtfleetError {
  constructor(readonly what: string) {
    super("NOT_LEADER", `this controller replica is not the leader; ${what} runs on the leader`);
  }
}
