import type { BundleService, HostBundle } from "../bundles/index.js";
import type { HostStore } from "../hosts/index.js";
import type { EventStore, ReportedState } from "../ingest/index.js";
import type { ReplicaSignals, Signal } from "../replicas/index.js";
import type { Rollout, RolloutEvent } from "../rollout/index.js";
import { driftFactsOf, type DriftFacts, storedOutcome, type StoredOutcome } from "./host-signals.js";
import { inBatches } from "./in-batches.js";
import { parseHostInput } from "./replica-inputs.js";

/**
 * A bundle delivery to judge: `host` was left with the bundle of `generation` at `at`;
 * `bundle`: that bundle when known, "stored": read the host's stored one when judging (used
 * when it is still that generation), undefined: unknown.
 */
export interface Delivery {
  host: string;
  generation: number;
  bundle: HostBundle | "stored" | undefined;
  at: number;
}

/**
 * What the runner (runner.ts) lends RemoteInputs: its clock, role, active rollouts, its queue
 * and the inputs it shares with its own agent hooks. Every callback acts at once on the
 * runner's state; runSoon/runSoonAsync are the runner's (the drain waits for the end of the
 * event-loop turn; runSoonAsync's `fn` runs on the runner's chain, so it may read the store).
 */
export interface RemoteInputsRunner {
  now(): number;
  /** Whether the runner steps rollouts now (the leader's). */
  leading(): boolean;
  activeRollouts(): Rollout[];
  /** Queues `event` for `policy`'s newest rollout; call only inside run()/runSoon()/runSoonAsync(). */
  enqueue(policy: string, event: RolloutEvent): void;
  runSoon(fn: () => void): void;
  runSoonAsync(fn: () => Promise<void>): void;
  /** `host`'s stream is open (here, or on the replica that said so). */
  hostOnline(host: string, at: number): void;
  /** `host`'s stream on replica `from` ended (ignored when it moved to another replica). */
  hostOffline(host: string, from: string): void;
  /** Queues a delivery to be judged with the others queued meanwhile (on the chain, later). */
  queueDelivery(d: Delivery): void;
  /** Judges these deliveries now; runs on the chain. */
  judgeDeliveries(ds: readonly Delivery[]): Promise<void>;
  /** Enqueues hostDrift when `drift` on `host` counts against `r`. */
  driftSeen(r: Rollout, host: string, drift: DriftFacts, at: number): void;
  /** Enqueues what `host` reported for `generation` to `r`. */
  observedAs(r: Rollout, host: string, generation: number, o: StoredOutcome, at: number): void;
}

export interface RemoteInputsDeps {
  hosts: HostStore;
  bundles: BundleService;
  /** What hosts reported (stored by any replica's ingest). */
  reported: ReportedState;
  /** Drift rows other replicas stored (read back on `drift` signals). */
  events: EventStore;
}

/**
 * The leader's runner's inputs from other replicas (several controllers on one PostgreSQL,
 * each with its own runner; `signals`), turned into the same RolloutEvents as its own agent
 * hooks', batched the same way:
 * - only the leader's runner steps rollouts (timer, plan stage, saves, bundle effects). Its
 *   inputs are its own agent hooks plus, from other replicas (signals `from` itself are
 *   ignored: its hooks saw those): `host` (online / offline / delivered / removed, published
 *   by the followers' runners), `ingest` (hosts whose reports or drift were stored: each
 *   tracked host's observed generation and outcome are read from the store, as the runner's
 *   delivered() does) and `drift` (drift ids: the rows are read back and judged by
 *   driftAgainst). An `offline` (also its own hook's) for a host whose hosts row shows it
 *   connected to another replica is ignored (it moved; the runner's hostOffline).
 * - catchUp(): after a takeover (the runner's lead()) or a lost signal connection (resync),
 *   what those signals told (or would have told) the leader, from the store.
 * - hostsDisconnected(): hosts the leader's stale-stream sweep marked disconnected.
 * A follower's runner ignores all of these (follower-mirror.ts keeps its rollouts).
 */
export class RemoteInputs {
  constructor(
    private readonly d: RemoteInputsDeps,
    private readonly runner: RemoteInputsRunner,
  ) {}

  /**
   * Subscribes to `host`, `ingest`, `drift` and resync, acting while the runner leads;
   * returns the unsubscribers.
   */
  listen(signals: ReplicaSignals): (() => void)[] {
    const other = (s: Signal) => s.from !== signals.replica;
    const leading = () => this.runner.leading();
    return [
      signals.subscribe("host", (s) => {
        if (leading() && other(s)) this.remoteHosts(s);
      }),
      signals.subscribe("ingest", (s) => {
        if (leading() && other(s)) this.remoteReports(s.ids);
      }),
      signals.subscribe("drift", (s) => {
        if (leading() && other(s)) this.remoteDrift(s.ids);
      }),
      signals.onResync(() => {
        if (leading()) this.runner.runSoonAsync(() => this.catchUp());
      }),
    ];
  }

  /**
   * The leader, after a takeover or a lost signal connection: what other replicas' signals
   * told (or would have told) it, from the store: each participant's online state
   * (hosts.connected; a participant whose row is gone was removed), and for each connected
   * participant waiting for its bundle or its report, the stored bundle's delivery (when it
   * was sent) and what it reported since. Runs on the runner's chain, inside a run.
   */
  async catchUp(): Promise<void> {
    const active = this.runner.activeRollouts();
    const names = [...new Set(active.flatMap((r) => Object.keys(r.hosts)))];
    if (names.length === 0) return;
    const streams = await this.d.hosts.streamsOf(names);
    const at = this.runner.now();
    const waiting = new Set<string>();
    for (const r of active)
      for (const h of Object.values(r.hosts)) {
        // Removed (its row is gone) while this replica did not hear of it.
        if (!streams.has(h.name)) {
          this.runner.enqueue(r.policy, { type: "hostRemoved", host: h.name, at });
          continue;
        }
        const connected = streams.get(h.name)?.connected === true;
        if (connected && !h.online) this.runner.enqueue(r.policy, { type: "hostOnline", host: h.name, at });
        else if (!connected && h.online) this.runner.enqueue(r.policy, { type: "hostOffline", host: h.name, at });
        if (connected && (h.phase === "sent" || h.phase === "rollback-sent")) waiting.add(h.name);
      }
    const stored = await this.d.bundles.bundles.getMany([...waiting]);
    await this.runner.judgeDeliveries(
      [...stored.values()]
        .filter((b) => b.sentAt !== null)
        .map((b) => ({ host: b.host, generation: b.generation, bundle: b, at })),
    );
  }

  /**
   * Hosts marked disconnected by other means than a stream's end (the leader's
   * StaleStreamSweep: the replica holding them was not seen for 30 s): offline in every active
   * rollout that tracks them, unless their row shows them connected again. Leader only (a
   * follower ignores it).
   */
  hostsDisconnected(hosts: readonly string[]): void {
    if (!this.runner.leading() || hosts.length === 0) return;
    const at = this.runner.now();
    this.runner.runSoonAsync(async () => {
      const tracked = hosts.filter((h) => this.tracks(h));
      if (tracked.length === 0) return;
      const streams = await this.d.hosts.streamsOf(tracked);
      for (const host of tracked) {
        if (streams.get(host)?.connected) continue;
        for (const r of this.runner.activeRollouts())
          if (r.hosts[host]) this.runner.enqueue(r.policy, { type: "hostOffline", host, at });
      }
    });
  }

  private tracks(host: string): boolean {
    return this.runner.activeRollouts().some((r) => r.hosts[host]);
  }

  private remoteHosts(s: Signal): void {
    for (const id of s.ids) {
      const input = parseHostInput(id);
      if (!input) continue;
      if (input.type === "online") this.runner.hostOnline(input.host, this.runner.now());
      else if (input.type === "offline") this.runner.hostOffline(input.host, s.from);
      else if (input.type === "removed") this.hostRemoved(input.host);
      else this.remoteDelivered(input.host, input.generation);
    }
  }

  /** Another replica removed `host` (`host remove`): it leaves every active rollout. */
  private hostRemoved(host: string): void {
    const at = this.runner.now();
    this.runner.runSoon(() => {
      for (const r of this.runner.activeRollouts())
        if (r.hosts[host]) this.runner.enqueue(r.policy, { type: "hostRemoved", host, at });
    });
  }

  /** Another replica's stream of `host` got (or held) the bundle of `generation`. */
  private remoteDelivered(host: string, generation: number): void {
    if (!this.tracks(host)) return;
    // The stored bundle, read when judged: a newer one stored since is not the one delivered
    // and its content says nothing of this delivery.
    this.runner.queueDelivery({ host, generation, bundle: "stored", at: this.runner.now() });
  }

  /** Another replica stored reports or drift of `hosts`: what each tracked host reported, from the store. */
  private remoteReports(hosts: readonly string[]): void {
    const at = this.runner.now();
    this.runner.runSoonAsync(async () => {
      const tracked = hosts.filter((host) => this.tracks(host));
      const generations = await this.d.hosts.observedGenerationsOf(tracked);
      await inBatches(tracked, async (host) => {
        const observed = generations.get(host);
        if (observed === undefined) return;
        const status = await this.d.reported.resourceStatus(host);
        for (const r of this.runner.activeRollouts())
          if (r.hosts[host]) this.runner.observedAs(r, host, observed, storedOutcome(status, r.policy), at);
      });
    });
  }

  /** Another replica stored the drift states `ids`: read back, judged against each active rollout. */
  private remoteDrift(ids: readonly string[]): void {
    const at = this.runner.now();
    this.runner.runSoonAsync(async () => {
      if (this.runner.activeRollouts().length === 0) return;
      for (const { drift } of await this.d.events.driftByIds(ids))
        for (const r of this.runner.activeRollouts()) this.runner.driftSeen(r, drift.host, driftFactsOf(drift), at);
    });
  }
}
