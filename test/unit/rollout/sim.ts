import type { RolloutSettings } from "../../../common/index.js";
import {
  createRollout,
  revisionFor,
  step,
  type NewRollout,
  type Rollout,
  type RolloutEffect,
  type RolloutEvent,
} from "../../../controller/rollout/index.js";

export const OLD = "rev-old";
export const NEW = "rev-new";

export const settings = (over: Partial<RolloutSettings> = {}): RolloutSettings => ({
  canary: 1,
  batchSize: { count: 2 },
  soakMs: 1000,
  maxFailures: 0,
  onFailure: "rollback",
  ...over,
});

type Evt = RolloutEvent extends infer E
  ? E extends { at: number }
    ? Omit<E, "at">
    : E extends { now: number }
      ? Omit<E, "now">
      : never
  : never;

/**
 * Plays the wiring: applies events at the sim clock, delivers sendRevision/rollbackHost to
 * online hosts as a new bundle generation (then feeds `delivered`), and records every
 * revision each host ever held.
 */
export class Sim {
  r: Rollout;
  t = 1_000_000;
  readonly effects: RolloutEffect[] = [];
  readonly gen = new Map<string, number>();
  readonly held = new Map<string, string | null>();
  readonly ever = new Map<string, string[]>();
  readonly offline = new Set<string>();
  /** Every event step() accepted, in the order applied (delivery events included), from `initial`. */
  readonly applied: RolloutEvent[] = [];
  readonly initial: Rollout;

  constructor(input: Partial<NewRollout> & { targets: string[] }) {
    const online = input.online ?? input.targets;
    for (const h of input.targets) if (!online.includes(h)) this.offline.add(h);
    this.r = createRollout({
      id: "web@2",
      policy: "web",
      fromRevision: OLD,
      toRevision: NEW,
      settings: settings(),
      now: this.t,
      ...input,
    });
    this.initial = this.r;
    for (const h of input.targets) this.hold(h, input.held?.[h] ?? this.r.fromRevision);
  }

  private hold(host: string, rev: string | null): void {
    this.held.set(host, rev);
    this.ever.set(host, [...(this.ever.get(host) ?? []), String(rev)]);
  }

  /** Applies `e` now; returns this step's effects (delivery effects included). */
  ev(e: Evt): RolloutEffect[] {
    const full = (
      "type" in e && (e.type === "start" || e.type === "tick") ? { ...e, now: this.t } : { ...e, at: this.t }
    ) as RolloutEvent;
    const out = step(this.r, full);
    this.applied.push(full);
    this.r = out.rollout;
    this.effects.push(...out.effects);
    const all = [...out.effects];
    for (const fx of out.effects) {
      if (fx.type === "sendRevision" || fx.type === "rollbackHost") all.push(...this.deliver(fx.host));
    }
    return all;
  }

  /** What the wiring does when a host connects or is told to change: send revisionFor() as a new generation. */
  deliver(host: string): RolloutEffect[] {
    if (this.offline.has(host)) return [];
    const g = (this.gen.get(host) ?? 0) + 1;
    this.gen.set(host, g);
    this.hold(host, revisionFor(this.r, host));
    return this.ev({ type: "delivered", host, generation: g });
  }

  ok(host: string): RolloutEffect[] {
    return this.ev({ type: "hostObserved", host, generation: this.gen.get(host) ?? 0, converged: "ok" });
  }

  fail(host: string): RolloutEffect[] {
    return this.ev({
      type: "hostObserved",
      host,
      generation: this.gen.get(host) ?? 0,
      converged: "failed",
      reason: "not enough memory",
    });
  }

  goOnline(host: string): RolloutEffect[] {
    this.offline.delete(host);
    const fx = this.ev({ type: "hostOnline", host });
    return [...fx, ...(this.held.get(host) !== revisionFor(this.r, host) ? this.deliver(host) : [])];
  }

  goOffline(host: string): RolloutEffect[] {
    this.offline.add(host);
    return this.ev({ type: "hostOffline", host });
  }

  advance(ms: number): RolloutEffect[] {
    this.t += ms;
    return this.ev({ type: "tick" });
  }

  stageStates(): string[] {
    return this.r.stages.map((s) => s.state);
  }

  sentTo(): string[] {
    return this.effects.filter((f) => f.type === "sendRevision").map((f) => (f as { host: string }).host);
  }
}
