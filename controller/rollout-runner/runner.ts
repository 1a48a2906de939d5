import {
  describeError,
  matchTargets,
  type Inventory,
  type LoadedPolicy,
  type Logger,
  type Queryable,
  type SqliteDatabase,
  type TargetHost,
  VirtfleetError,
} from "../../common/index.js";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { Report__Output } from "../../generated/proto/fleet/v1/Report.js";
import type { AgentService, AgentSession } from "../agents/index.js";
import type { BundleService, HostBundle, RevisionSelector } from "../bundles/index.js";
import {
  lazyTargetHost,
  withInventory,
  type PolicyChange,
  type PolicyRepository,
  type PolicyRevisionLoader,
} from "../policies/index.js";
import {
  createRollout,
  decideOnRemoval,
  decideOnRevision,
  heldRevision,
  isRemoval,
  POLICY_REMOVED,
  goodRevision,
  isActive,
  isRollingBack,
  revisionFor,
  step,
  stepAll,
  type Rollout,
  type RolloutEffect,
  type RolloutEvent,
  type RolloutStore,
} from "../rollout/index.js";
import type { HostStore } from "../hosts/index.js";
import { EventStore, ReportedState, type ResourceStatusRow } from "../ingest/index.js";
import type { ReplicaSignals } from "../replicas/index.js";
import { FollowerMirror } from "./follower-mirror.js";
import {
  driftAgainst,
  type DriftFacts,
  policyOutcome,
  known,
  rollbackOutcome,
  storedOutcome,
  type StoredOutcome,
  unconvergedForRollout,
} from "./host-signals.js";
import { inBatches } from "./in-batches.js";
import { type Delivery, RemoteInputs } from "./remote-inputs.js";
import { HostInputPublisher, hostInputId, NotLeaderError } from "./replica-inputs.js";

/** How often running rollouts are re-evaluated (soak ends, offline timeouts). */
export const DEFAULT_ROLLOUT_TICK_MS = 1_000;
/** drainSpacingMs: at most this long between drains, and 1 ms more per this many hosts. */
const MAX_DRAIN_SPACING_MS = 500;
const HOSTS_PER_SPACING_MS = 10;

export type RolloutCommand = "pause" | "resume" | "abort" | "rollback";

/** Whether a runner steps rollouts ("leader") or mirrors the leader's from the store ("follower"). */
export type RunnerRole = "leader" | "follower";

export interface RolloutRunnerOptions {
  /** Read through controller/ingest ReportedState (what hosts reported). */
  db: SqliteDatabase | Queryable;
  store: RolloutStore;
  policies: PolicyRepository;
  revisions: PolicyRevisionLoader;
  hosts: HostStore;
  bundles: BundleService;
  log: Logger;
  tickMs?: number;
  now?: () => number;
  /**
   * Replicas on one PostgreSQL store: the signals between them (the class comment's
   * "Replicas"); `signals.replica` must be the name this replica's AgentService records in
   * hosts.replica. Without: one controller, whose hooks see every agent stream.
   */
  signals?: ReplicaSignals;
  /** Default "leader" (one controller, or the elected replica); a "follower" leads after lead(). */
  role?: RunnerRole;
}

/**
 * Starts stage 0 (the fleet dry-run) of a rollout; calls back with the recorded result. When
 * it throws or rejects (it could not start), the stage is skipped.
 */
export type PlanStageStarter = (rollout: Rollout, done: (result: unknown) => void) => void | Promise<void>;

/**
 * Drives every policy's rollouts: turns policy changes into rollouts, stream events into
 * rollout events, and rollout effects into bundle deliveries. Contract:
 * - each host's bundle carries, per policy, revisionFor(newest rollout, host) while that
 *   rollout is about the revision in force (RevisionSelector); else the revision in force;
 * - every rollout state is saved before its effects run, so a restarted controller resumes
 *   from the store (listActive) exactly where it was;
 * - steps run one at a time in arrival order (a queue), also when an effect's delivery
 *   produces new events; the runner's work that reads or writes the store (inputs that need
 *   it, draining the queue) runs on one promise chain, one piece after the other, so no
 *   two of them interleave at their awaits;
 * - one active rollout per policy: a newer revision supersedes (aborts) the active one
 *   first, and the new rollout starts from the revisions hosts hold.
 *
 * Replicas (`signals`; several controllers on one PostgreSQL, each with its own runner): only
 * the leader's runner steps rollouts (timer, plan stage, saves, bundle effects).
 * - the leader's inputs from other replicas (signals `host`, `ingest`, `drift`), its catch-up
 *   from the store and hostsDisconnected: remote-inputs.ts (RemoteInputs' comment);
 * - a follower's copy of the leader's rollouts: follower-mirror.ts (FollowerMirror's comment);
 * - every save of the leader publishes `rollout` (ids: policy names) inside the saving
 *   transaction (save()), which followers re-read;
 * - a follower's runner steps nothing: its agent hooks publish its streams' inputs on `host`
 *   (HostInputPublisher; reports and drift reach the leader through the ingest path).
 *   control() throws NotLeaderError; removeHost() tells the leader (`removed:HOST` on `host`).
 * - an `offline` for a host whose hosts row shows it connected to another replica is ignored
 *   (it moved; hostOffline).
 * - lead() (a follower that won the election) re-reads every rollout and resumes as attach()
 *   does after a restart (active rollouts continue from their stage; a soak from its stored
 *   start, on the `now` clock), then takes each participant's online state and any sent
 *   bundle and report from the store (RemoteInputs.catchUp: what it may have missed). A
 *   leader never follows again. The leader catches up the same way after its signal
 *   connection was lost.
 */
export class RolloutRunner implements RevisionSelector {
  /** The newest rollout of each policy (active or ended). */
  private readonly latest = new Map<string, Rollout>();
  private readonly queue: { policy: string; event: RolloutEvent }[] = [];
  private draining = false;
  /** Deliveries waiting to be judged (queueDelivery), and whether a piece of the chain will judge them. */
  private readonly pendingDeliveries: Delivery[] = [];
  private judgingQueued = false;
  /** The pending drainSoon(): cancels it. */
  private drainTurn: (() => void) | undefined;
  /** When the last drain started (performance.now()), for drainSoon's spacing. */
  private lastDrainAt = Number.NEGATIVE_INFINITY;
  /** Hosts of the largest active rollout at the last drain, for drainSoon's spacing. */
  private largestActive = 0;
  /** The runner's store work, one piece after the other (serial()). */
  private chain: Promise<void> = Promise.resolve();
  private agents: AgentService | undefined;
  private timer: NodeJS.Timeout | undefined;
  private planStage: PlanStageStarter | undefined;
  private readonly now: () => number;
  private readonly reported: ReportedState;
  /** The JSON of rollouts as saved or last compared (a 10,000-host rollout is ~1 MB to stringify). */
  private readonly savedJson = new WeakMap<Rollout, string>();
  private roleNow: RunnerRole;
  private readonly hostInputs: HostInputPublisher | undefined;
  /** The leader's inputs from other replicas, its catch-up (remote-inputs.ts). */
  private readonly remote: RemoteInputs;
  /** A follower's copy of the leader's rollouts (follower-mirror.ts). */
  private readonly mirror: FollowerMirror;
  private readonly unsubscribe: (() => void)[] = [];
  /** Each host's newest Report as seen on the stream: generation and the policies not converged (reason). */
  private readonly lastReports = new Map<
    string,
    { generation: number; failed: Map<string, string>; hardFailed: Map<string, string> }
  >();

  constructor(private readonly o: RolloutRunnerOptions) {
    this.now = o.now ?? Date.now;
    this.reported = new ReportedState(o.db);
    this.roleNow = o.role ?? "leader";
    this.hostInputs = o.signals ? new HostInputPublisher(o.signals, o.log) : undefined;
    this.remote = new RemoteInputs(
      { hosts: o.hosts, bundles: o.bundles, reported: this.reported, events: new EventStore(o.db) },
      {
        now: () => this.now(),
        leading: () => this.roleNow === "leader",
        activeRollouts: () => this.activeRollouts(),
        enqueue: (policy, event) => this.enqueue(policy, event),
        runSoon: (fn) => this.runSoon(fn),
        runSoonAsync: (fn) => this.runSoonAsync(fn),
        hostOnline: (host, at) => this.hostOnline(host, at),
        hostOffline: (host, from) => this.hostOffline(host, from),
        queueDelivery: (d) => this.queueDelivery(d),
        judgeDeliveries: (ds) => this.judgeDeliveries(ds),
        driftSeen: (r, host, drift, at) => this.driftSeen(r, host, drift, at),
        observedAs: (r, host, generation, outcome, at) => this.observedAs(r, host, generation, outcome, at),
      },
    );
    this.mirror = new FollowerMirror(o.store, {
      following: () => this.roleNow === "follower",
      serial: (work) => this.serial(work),
      reloadAll: () => this.loadLatest(),
      setLatest: (policy, r) => {
        if (r) this.latest.set(policy, r);
        else this.latest.delete(policy);
      },
    });
  }

  /** "leader" steps rollouts; "follower" mirrors the leader's (class comment). */
  get role(): RunnerRole {
    return this.roleNow;
  }

  /** Who runs stage 0 (the plan); without one, the plan stage is skipped. Set before attach. */
  usePlanStage(starter: PlanStageStarter): void {
    this.planStage = starter;
  }

  /**
   * Loads the rollouts, becomes the bundles' revision selector, hooks into the agent stream
   * and policy changes, and (as the leader) acts on revisions accepted while the controller
   * was down. Call before BundleService.attach (so its first computation already sees the
   * rollouts). A follower only loads and listens (class comment: "Replicas").
   */
  async attach(agents: AgentService): Promise<void> {
    this.agents = agents;
    const { inForce, removed } = await this.loadLatest();
    this.o.bundles.useSelector(this);
    this.o.bundles.onDelivered((host, bundle) => this.delivered(host, bundle));
    agents.use({
      onReady: (session) => this.hostReady(session),
      onClosed: (session) => this.hostClosed(session),
      onEvent: (session, msg) => this.hostEvent(session, msg),
    });
    this.o.policies.onChange((change) => this.policiesChanged(change));
    this.listen();
    // With replicas, a replica starting as leader is not the only one: participants connected
    // to the other replicas are still connected (the store says which; this replica's own
    // former streams were marked disconnected at its start), so it catches up like a takeover.
    if (this.roleNow === "leader") await this.resume(inForce, removed, this.o.signals === undefined);
  }

  /**
   * A follower's runner becomes the leader's (this replica won the election), without a
   * restart: re-reads every rollout from the store and resumes as attach() does after a
   * restart, then takes from the store what other replicas' signals may have said meanwhile
   * (RemoteInputs.catchUp). Resolves once that is stepped; rejects when the store could not be read (the
   * runner then steps nothing: stop the controller, as when leadership is lost). A leader's
   * lead() does nothing; there is no way back to follower (the controller restarts).
   */
  async lead(): Promise<void> {
    if (this.roleNow === "leader") return;
    if (!this.agents) throw new Error("RolloutRunner.lead() before attach()");
    this.roleNow = "leader";
    this.mirror.forget();
    // On the chain: after any re-read in progress, before any input that arrives from now on.
    const { inForce, removed } = await this.onChain(() => this.loadLatest());
    this.o.log.info({ rollouts: this.latest.size }, "rollouts: leading; every rollout re-read from the store");
    await this.resume(inForce, removed, false);
  }

  stop(): void {
    this.drainTurn?.();
    this.drainTurn = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
    this.hostInputs?.stop();
  }

  /** Resolves once the host inputs published so far (a follower's) are out (tests, shutdown). */
  async idle(): Promise<void> {
    await this.hostInputs?.idle();
    await this.chain;
  }

  /**
   * Fills `latest` from the store: the newest rollout of each policy in force, the removal
   * rollouts of removed policies, and any other active rollout. Returns what it read.
   */
  private async loadLatest(): Promise<{ inForce: Set<string>; removed: string[] }> {
    const inForce = new Set(this.o.policies.current().policies.map((p) => p.name));
    const read = new Map<string, Rollout>();
    for (const name of inForce) {
      const r = await this.o.store.latest(name);
      if (r) read.set(name, r);
    }
    const removed = await this.o.policies.store.removedPolicies();
    for (const name of removed) {
      const r = await this.o.store.latest(name);
      if (r && isRemoval(r)) read.set(name, r);
    }
    for (const r of await this.o.store.listActive()) if (!read.has(r.policy)) read.set(r.policy, r);
    this.latest.clear();
    for (const [name, r] of read) this.latest.set(name, r);
    return { inForce, removed };
  }

  /**
   * The leader's start on the rollouts just loaded: the tick, then (one run) what changed
   * while nobody stepped them. `restarted`: this process just started, so none of its
   * participants is connected yet; else (a takeover) their state is read from the store.
   */
  private async resume(inForce: Set<string>, removed: readonly string[], restarted: boolean): Promise<void> {
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? DEFAULT_ROLLOUT_TICK_MS);
    this.timer.unref();
    await this.run(async () => {
      for (const r of await this.o.store.listActive()) {
        if (!inForce.has(r.policy) && !isRemoval(r)) {
          // Its file was deleted while the controller was down: removalsMissed() supersedes it
          // with a removal rollout, or aborts it when no host holds the policy.
          this.latest.set(r.policy, r);
          continue;
        }
        // Nobody is connected right after a start: the participants come back online as they reconnect.
        if (restarted)
          for (const h of Object.values(r.hosts))
            if (h.online) this.enqueue(r.policy, { type: "hostOffline", host: h.name, at: this.now() });
      }
      for (const p of this.o.policies.current().policies) await this.safely(p.name, () => this.onRevision(p));
      await this.removalsMissed(removed);
      if (!restarted) await this.remote.catchUp();
      for (const r of this.latest.values()) {
        if (r.state === "pending" && r.startedAt === null) this.enqueue(r.policy, { type: "start", now: this.now() });
        else if (isActive(r)) this.resumePlan(r);
      }
    });
  }

  /** Subscribes to the replica signals (class comment: "Replicas"); none without signals. */
  private listen(): void {
    const signals = this.o.signals;
    if (!signals) return;
    this.unsubscribe.push(...this.remote.listen(signals), ...this.mirror.listen(signals));
  }

  /** The newest rollout of every policy the runner follows (in memory: no store read). */
  latestRollouts(): Rollout[] {
    return [...this.latest.values()];
  }

  /** The newest rollout of `policy`, if any (what `rollout status` shows). */
  async rolloutOf(policy: string): Promise<Rollout | undefined> {
    return this.latest.get(policy) ?? (await this.o.store.latest(policy));
  }

  /**
   * Policies whose newest rollout the runner holds in memory (every active one, and any
   * stepped since the controller started), sorted: with the policies in force, what a list
   * of rollouts covers (a removed policy's removal rollout is only here).
   */
  trackedPolicies(): string[] {
    return [...this.latest.keys()].sort();
  }

  /** RevisionSelector: the revision of each policy in force that `host` must hold now. */
  async policiesFor(host: string, inForce: readonly LoadedPolicy[], on?: Queryable): Promise<LoadedPolicy[]> {
    const out: LoadedPolicy[] = [];
    for (const p of inForce) {
      const rev = this.revisionHeldBy(p, host);
      if (rev === null) continue;
      out.push(rev === p.revision ? p : await this.o.revisions.get(p.name, rev, on));
    }
    // Removed policies: hosts keep the revision they hold until their stage of the removal
    // rollout (or get it back when it rolls back).
    const names = new Set(inForce.map((p) => p.name));
    for (const r of this.latest.values()) {
      if (!isRemoval(r) || names.has(r.policy)) continue;
      const rev = heldRevision(revisionFor(r, host));
      if (rev !== null) out.push(await this.o.revisions.get(r.policy, rev, on));
    }
    return out;
  }

  /**
   * RevisionSelector: the new revisions `host` was sent and is being (or was) rolled back from,
   * one per policy whose newest rollout rolled this host back. A later rollout of the policy
   * replaces it, so a revision rolled out again (B, back to A, B again) is not listed.
   */
  rolledBackFor(host: string): { policy: string; revision: string }[] {
    const out: { policy: string; revision: string }[] = [];
    for (const r of this.latest.values()) {
      const phase = r.hosts[host]?.phase;
      if (phase === "rollback-sent" || phase === "rolledback" || phase === "rollback-failed")
        out.push({ policy: r.policy, revision: r.toRevision });
    }
    return out;
  }

  /**
   * The revision of `p` (a policy in force) that `host` must hold now, or null for none (e.g.
   * a new policy whose rollout rolled back or has not reached the host). `host` is assumed
   * targeted; targeting is the caller's.
   */
  revisionHeldBy(p: LoadedPolicy, host: string): string | null {
    const r = this.latest.get(p.name);
    // The revision in force is the good one (no rollout yet, or a revert to it): everyone holds it.
    if (!r || (r.toRevision !== p.revision && (p.revision === r.fromRevision || p.revision === goodRevision(r))))
      return p.revision;
    // Otherwise the rollout decides; also when creating the rollout of a newer revision
    // failed: hosts keep what they hold rather than all getting an unstaged revision
    // (null: none, e.g. a new policy not yet at this host's stage, or its removal reached it).
    return heldRevision(revisionFor(r, host));
  }

  /**
   * Applies an operator command to the policy's newest rollout and returns it afterwards.
   * Throws RolloutStateError when the command does not apply in its state, and
   * RolloutMissingError when the policy has no rollout, NotLeaderError on a follower.
   */
  async control(policy: string, command: RolloutCommand, reason: string | undefined): Promise<Rollout> {
    if (this.roleNow !== "leader") throw new NotLeaderError(`rollout ${command}`);
    const r = await this.rolloutOf(policy);
    if (!r) throw new RolloutMissingError(policy);
    const at = this.now();
    const event: RolloutEvent =
      command === "pause"
        ? { type: "pause", at, reason: reason ?? "paused by operator" }
        : command === "resume"
          ? { type: "resume", at }
          : { type: command, at, reason };
    if (!this.latest.has(policy)) this.latest.set(policy, r);
    // step() validates synchronously (throws before anything is saved); effects run in the queue.
    step(r, event);
    await this.run(() => this.enqueue(policy, event));
    return this.latest.get(policy) ?? r;
  }

  /** The participants of `r` that hold a revision of its policy now (sorted): what a removal plan covers. */
  holders(r: Rollout): string[] {
    return Object.keys(r.hosts)
      .filter((h) => heldRevision(revisionFor(r, h)) !== null)
      .sort();
  }

  /**
   * Takes `host` out of every active rollout that knows it (`host remove`); returns those
   * rollouts' ids. On a follower (`host remove` works on any replica): tells the leader
   * (`removed:HOST`) and returns the ids its mirror knows; a leader that missed it finds the host's row gone on its next
   * catch-up. NotLeaderError on a follower without signals (none: a runner built so is
   * never a follower in practice).
   */
  async removeHost(host: string): Promise<string[]> {
    if (this.roleNow !== "leader") {
      if (!this.o.signals) throw new NotLeaderError("taking a host out of its rollouts");
      const ids = this.activeRollouts()
        .filter((r) => r.hosts[host])
        .map((r) => r.id);
      await this.o.signals.publish("host", [hostInputId({ type: "removed", host })]);
      return ids;
    }
    const ids: string[] = [];
    await this.run(() => {
      for (const r of this.activeRollouts()) {
        if (!r.hosts[host]) continue;
        ids.push(r.id);
        this.enqueue(r.policy, { type: "hostRemoved", host, at: this.now() });
      }
    });
    return ids;
  }

  /** Targets of `policy` among the known hosts, as the inventory resolves them. */
  async targetsOf(policy: LoadedPolicy): Promise<string[]> {
    const { inventory } = this.o.policies.current();
    const out: string[] = [];
    for (const host of await this.o.hosts.names())
      if (matchTargets(policy.targets, await this.targetHost(host, inventory, policy.targets))) out.push(host);
    return out;
  }

  // ---- inputs ----

  /** Resolves once the change's rollouts are created and stepped (the repository waits for it). */
  private policiesChanged(change: PolicyChange): Promise<void> {
    // A follower's repository followed the leader's change: the leader stored its rollouts first.
    if (this.roleNow !== "leader") return this.mirror.policiesChanged(change);
    return this.run(async () => {
      const current = new Map(this.o.policies.current().policies.map((p) => [p.name, p]));
      for (const name of change.removed) await this.safely(name, () => this.onRemoval(name));
      for (const name of change.created) {
        const p = current.get(name);
        if (p) await this.safely(name, () => this.onRevision(p));
      }
    });
  }

  /** Acts on `policy`'s revision in force (decideOnRevision). Runs inside run(). */
  private async onRevision(policy: LoadedPolicy): Promise<void> {
    const latest = this.latest.get(policy.name);
    const history = await this.o.policies.store.history(policy.name, 2);
    const readded = history.length > 1 && history[1]!.removedAt !== null;
    const generation = (await this.o.policies.revisions()).find((r) => r.policy === policy.name)?.generation ?? 0;
    const decision = decideOnRevision(latest, policy.revision, generation, readded);
    if (decision.type === "none") return;
    const at = this.now();
    if (decision.type === "revert") {
      this.o.log.warn(
        { policy: policy.name, revision: policy.revision },
        "policy reverted to the revision its rollout started from; rolling the rollout back",
      );
      this.enqueue(policy.name, {
        type: "rollback",
        at,
        reason: `the policy was reverted to revision ${policy.revision}`,
      });
      return;
    }
    // Applied at once (not queued): the new rollout can only be saved once this one ended.
    if (decision.supersede) await this.apply(policy.name, { type: "supersede", byRevision: policy.revision, at });
    let id = `${policy.name}@${generation}`;
    for (let n = 2; await this.o.store.load(id); n++) id = `${policy.name}@${generation}.${n}`;
    const targets = await this.targetsOf(policy);
    const rollout = createRollout({
      id,
      policy: policy.name,
      policyGeneration: generation,
      fromRevision: decision.fromRevision,
      toRevision: policy.revision,
      settings: policy.rollout,
      targets,
      online: await this.onlineOf(targets),
      held: decision.held,
      options: {
        ...(policy.rollout.offlineTimeoutMs === undefined ? {} : { offlineTimeoutMs: policy.rollout.offlineTimeoutMs }),
        ...(policy.rollout.offlineHosts === undefined ? {} : { offlineHosts: policy.rollout.offlineHosts }),
      },
      now: at,
    });
    await this.save(rollout);
    this.latest.set(policy.name, rollout);
    this.o.log.info(
      {
        policy: policy.name,
        rollout: id,
        from: decision.fromRevision,
        to: policy.revision,
        targets: targets.length,
        stages: rollout.stages.length,
      },
      "rollout created",
    );
    this.enqueue(policy.name, { type: "start", now: at });
  }

  /**
   * The policy's file was deleted: a rollout to POLICY_REMOVED (decideOnRemoval) from the
   * revision hosts hold, with the settings of the revision removed, over the hosts that hold
   * some revision of it. Runs inside run().
   */
  private async onRemoval(name: string): Promise<void> {
    const latest = this.latest.get(name) ?? (await this.o.store.latest(name));
    const decision = decideOnRemoval(latest);
    if (decision.type === "none" || !latest) return;
    const at = this.now();
    if (decision.supersede) {
      if (!this.latest.has(name)) this.latest.set(name, latest);
      await this.apply(name, { type: "supersede", byRevision: POLICY_REMOVED, at });
    }
    const generation = latest.policyGeneration;
    let id = `${name}@${generation}-removed`;
    for (let n = 2; await this.o.store.load(id); n++) id = `${name}@${generation}-removed.${n}`;
    const targets: string[] = [];
    for (const host of await this.o.hosts.names()) {
      const held = host in decision.held ? decision.held[host] : decision.fromRevision;
      if (held != null && (await this.targetedBy(latest, host, [held]))) targets.push(host);
    }
    const rollout = createRollout({
      id,
      policy: name,
      policyGeneration: generation,
      fromRevision: decision.fromRevision,
      toRevision: POLICY_REMOVED,
      settings: latest.settings,
      targets,
      online: await this.onlineOf(targets),
      held: decision.held,
      options: latest.options,
      now: at,
    });
    await this.save(rollout);
    this.latest.set(name, rollout);
    this.o.log.info(
      {
        policy: name,
        rollout: id,
        from: decision.fromRevision,
        targets: targets.length,
        stages: rollout.stages.length,
      },
      "removal rollout created: the policy leaves its hosts in stages",
    );
    this.enqueue(name, { type: "start", now: at });
  }

  /**
   * Policies removed while the controller was down (or by a release that removed them at
   * once): a removal rollout when some host's stored bundle still carries the policy.
   */
  private async removalsMissed(removed: readonly string[]): Promise<void> {
    const pending = removed.filter((n) => {
      const r = this.latest.get(n);
      return !r || !isRemoval(r);
    });
    if (pending.length === 0) return;
    const carried = new Set<string>();
    for (const b of await this.o.bundles.bundles.list())
      for (const p of b.bundle.policies) if (p.name) carried.add(p.name);
    for (const name of pending) {
      if (carried.has(name)) await this.safely(name, () => this.onRemoval(name));
      const r = this.latest.get(name);
      if (r && !isRemoval(r) && isActive(r))
        this.enqueue(name, { type: "abort", at: this.now(), reason: "the policy is no longer in the policies folder" });
    }
  }

  private hostReady(session: AgentSession): void {
    const host = session.host;
    if (host === undefined) return;
    if (this.roleNow !== "leader") this.hostInputs?.add({ type: "online", host });
    else this.hostOnline(host, this.now());
  }

  /** `host`'s stream is open (here, or on the replica that said so). */
  private hostOnline(host: string, at: number): void {
    this.runSoonAsync(async () => {
      for (const r of this.activeRollouts()) {
        if (r.hosts[host]) this.enqueue(r.policy, { type: "hostOnline", host, at });
        else if (await this.targetedBy(r, host))
          this.enqueue(r.policy, { type: "hostEnrolled", host, online: true, at });
      }
    });
  }

  private hostClosed(session: AgentSession): void {
    const host = session.host;
    if (host === undefined) return;
    const current = this.agents?.session(host);
    if (current && current !== session) return; // replaced by a newer stream
    if (this.roleNow !== "leader") this.hostInputs?.add({ type: "offline", host });
    else this.hostOffline(host, this.o.signals?.replica);
  }

  /**
   * `host`'s stream on replica `from` ended. With replicas (`from` given) it is ignored when
   * the host's row shows it connected to another replica since (it moved); one controller
   * (undefined) knows that from its own sessions (hostClosed).
   */
  private hostOffline(host: string, from: string | undefined): void {
    const offline = () => {
      for (const r of this.activeRollouts())
        if (r.hosts[host]) this.enqueue(r.policy, { type: "hostOffline", host, at: this.now() });
    };
    if (from === undefined) {
      this.runSoon(offline);
      return;
    }
    this.runSoonAsync(async () => {
      if (!this.activeRollouts().some((r) => r.hosts[host])) return;
      if (movedAway(await this.o.hosts.streamOf(host), from)) return;
      offline();
    });
  }

  /**
   * Hosts marked disconnected by other means than a stream's end (the leader's
   * StaleStreamSweep): offline in every active rollout that tracks them, unless their row
   * shows them connected again (RemoteInputs.hostsDisconnected). A follower ignores it.
   */
  hostsDisconnected(hosts: readonly string[]): void {
    this.remote.hostsDisconnected(hosts);
  }

  private hostEvent(session: AgentSession, msg: AgentMessage__Output): void {
    const host = session.host;
    // A follower's reports and drift reach the leader through the ingest path (`ingest`, `drift`).
    if (host === undefined || this.roleNow !== "leader") return;
    this.runSoon(() => {
      const at = this.now();
      if (msg.report && !msg.report.dryRun) this.rememberReport(host, msg.report);
      for (const r of this.activeRollouts()) {
        const h = r.hosts[host];
        if (!h) continue;
        if (msg.report && !msg.report.dryRun) {
          const outcome = policyOutcome(msg.report, r.policy);
          const returned = rollbackOutcome(msg.report.resources, r.policy);
          this.enqueue(r.policy, {
            type: "hostObserved",
            host,
            generation: msg.report.generation,
            at,
            ...outcome,
            returned,
          });
        } else if (msg.drift) this.driftSeen(r, host, msg.drift, at);
      }
    });
  }

  /** Enqueues hostDrift when `drift` on `host` counts against `r` (driftAgainst). */
  private driftSeen(r: Rollout, host: string, drift: DriftFacts, at: number): void {
    const h = r.hosts[host];
    if (!h || h.stage < 0) return;
    const startedAt = r.stages[h.stage]?.startedAt;
    const reason = startedAt == null ? undefined : driftAgainst(drift, r.policy, startedAt);
    if (reason !== undefined) this.enqueue(r.policy, { type: "hostDrift", host, at, reason });
  }

  /**
   * A delivery attempt left `host` with `bundle` (its generation). Also looks at what the host
   * already reported: an agent that held this generation before (nothing new was sent)
   * will not report it again. A follower tells the leader.
   */
  private delivered(host: string, bundle: HostBundle): void {
    if (this.roleNow !== "leader") {
      this.hostInputs?.add({ type: "delivered", host, generation: bundle.generation });
      return;
    }
    // Every bundle delivery passes here: hosts no active rollout tracks cost nothing more.
    if (!this.activeRollouts().some((r) => r.hosts[host])) return;
    this.queueDelivery({ host, generation: bundle.generation, bundle, at: this.now() });
  }

  /**
   * Queues a delivery to be judged (judgeDeliveries) with the others queued meanwhile, in one
   * piece of the chain: per host one after the other, hosts READS_AT_ONCE at a time, their
   * observed generations read in one statement (thousands of deliveries after a fan-out,
   * each judged alone, were bound by the store's round trips).
   */
  private queueDelivery(d: Delivery): void {
    this.pendingDeliveries.push(d);
    if (!this.judgingQueued) {
      this.judgingQueued = true;
      void this.serial(async () => {
        try {
          while (this.pendingDeliveries.length > 0) await this.judgeDeliveries(this.pendingDeliveries.splice(0));
        } finally {
          this.judgingQueued = false;
        }
      });
    }
    this.drainSoon();
  }

  /**
   * deliveredNow for each of `deliveries` (`bundle: "stored"`: the host's stored bundle, when
   * it is still that generation); a host's in order. Runs on the chain.
   */
  private async judgeDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    const tracked = deliveries.filter((d) => this.activeRollouts().some((r) => r.hosts[d.host]));
    if (tracked.length === 0) return;
    const byHost = new Map<string, Delivery[]>();
    for (const d of tracked) {
      const list = byHost.get(d.host);
      if (list) list.push(d);
      else byHost.set(d.host, [d]);
    }
    const observed = await this.o.hosts.observedGenerationsOf([...byHost.keys()]);
    const stored = await this.o.bundles.bundles.getMany([
      ...new Set(tracked.filter((d) => d.bundle === "stored").map((d) => d.host)),
    ]);
    await inBatches([...byHost], async ([host, list]) => {
      for (const d of list) {
        const s = stored.get(host);
        const bundle = d.bundle === "stored" ? (s?.generation === d.generation ? s : undefined) : d.bundle;
        try {
          await this.deliveredNow(host, d.generation, bundle, d.at, observed.get(host) ?? 0);
        } catch (err) {
          this.o.log.error({ host, err: describeError(err) }, "rollout bookkeeping failed for a delivery to the host");
        }
      }
    });
  }

  /**
   * Enqueues, for each active rollout tracking `host`, its delivery of `generation` and, when
   * the host already observed it, what it reported (the Report seen on this replica's stream,
   * else the stored resource status), and a host whose `bundle` (when known) left the
   * rollout's revision out. Runs on the chain.
   */
  private async deliveredNow(
    host: string,
    generation: number,
    bundle: HostBundle | undefined,
    at: number,
    storedObserved?: number,
  ): Promise<void> {
    const tracking = this.activeRollouts().filter((r) => r.hosts[host]);
    if (tracking.length === 0) return;
    const stored = storedObserved ?? (await this.o.hosts.observedGeneration(host)) ?? 0;
    // Read after the await: a Report that arrived meanwhile was enqueued before this delivery
    // (and ignored for want of it), so it must count here.
    const seen = this.lastReports.get(host);
    const observed = Math.max(stored, seen?.generation ?? 0);
    let status: ResourceStatusRow[] | undefined;
    for (const r of tracking) {
      this.enqueue(r.policy, { type: "delivered", host, generation, at });
      if (observed >= generation) {
        let outcome: StoredOutcome;
        if (seen && seen.generation === observed) {
          outcome = {
            outcome: known(seen.failed.get(r.policy)),
            returned: known(seen.hardFailed.get(r.policy)),
          };
        } else {
          status ??= await this.reported.resourceStatus(host);
          outcome = storedOutcome(status, r.policy);
        }
        this.observedAs(r, host, observed, outcome, at);
      }
      const missing = bundle && (await this.leftOut(r, host, bundle));
      if (missing !== undefined) this.enqueue(r.policy, { type: "hostFailure", host, at, reason: missing });
    }
  }

  private observedAs(r: Rollout, host: string, generation: number, o: StoredOutcome, at: number): void {
    this.enqueue(r.policy, { type: "hostObserved", host, generation, at, ...o.outcome, returned: o.returned });
  }

  /** Which of `targets` are online: connected to any replica (the store), or to this controller. */
  private async onlineOf(targets: readonly string[]): Promise<string[]> {
    if (!this.o.signals) return this.agents?.connectedHosts() ?? [];
    const streams = await this.o.hosts.streamsOf(targets);
    return targets.filter((h) => streams.get(h)?.connected === true);
  }

  /**
   * Why `host`'s `bundle` lacks the rollout's new revision although the host must hold it and
   * the revision targets it (it failed to resolve for the host, or lost a tied conflict);
   * undefined when it is there or need not be. A host that cannot take the revision failed it.
   */
  private async leftOut(r: Rollout, host: string, bundle: HostBundle): Promise<string | undefined> {
    if (isRemoval(r)) return undefined;
    if (revisionFor(r, host) !== r.toRevision || !(await this.targetedBy(r, host, [r.toRevision]))) return undefined;
    let content: Awaited<ReturnType<BundleService["bundles"]["content"]>>;
    try {
      content = await this.o.bundles.bundles.content(bundle);
    } catch (err) {
      // A newer generation replaced it meanwhile (e.g. another replica's delivery): its own
      // delivery is judged when it comes; this one says nothing about the revision.
      if (err instanceof VirtfleetError && err.code === "BUNDLE_REPLACED") return undefined;
      throw err;
    }
    if (content.policies.some((p) => p.name === r.policy)) return undefined;
    const why = bundle.problems.filter((p) => p.includes(r.policy));
    return `the new revision was left out of the host's bundle: ${(why.length > 0 ? why : bundle.problems).join("; ") || "it does not resolve for this host"}`.slice(
      0,
      500,
    );
  }

  private rememberReport(host: string, report: Report__Output): void {
    const failed = new Map<string, string>();
    const hardFailed = new Map<string, string>();
    for (const res of report.resources) {
      if (!unconvergedForRollout(res) || failed.has(res.policy)) continue;
      const outcome = policyOutcome(report, res.policy);
      if (outcome.reason !== undefined) failed.set(res.policy, outcome.reason);
      const returned = rollbackOutcome(report.resources, res.policy);
      if (returned.reason !== undefined) hardFailed.set(res.policy, returned.reason);
    }
    const before = this.lastReports.get(host);
    if (!before || report.generation >= before.generation)
      this.lastReports.set(host, { generation: report.generation, failed, hardFailed });
  }

  private tick(): void {
    void this.run(() => {
      const now = this.now();
      for (const r of this.activeRollouts())
        if (r.state === "running" || isRollingBack(r)) this.enqueue(r.policy, { type: "tick", now });
    });
  }

  // ---- the queue ----

  private enqueue(policy: string, event: RolloutEvent): void {
    this.queue.push({ policy, event });
  }

  /**
   * Runs `fn` (which enqueues) and then drains the queue, on the runner's chain (after the
   * work already on it); resolves when drained. Must not be awaited from work on the chain.
   */
  private run(fn: () => void | Promise<void>): Promise<void> {
    return this.serial(async () => {
      await this.enqueueSafely(fn);
      await this.drain();
    });
  }

  /**
   * As run(), but the drain waits for the end of this event-loop turn, so the Reports,
   * deliveries, connects and disconnects of thousands of hosts arriving together are stepped
   * as one batch per policy (one clone, one save), not one each. Operator commands, policy
   * changes and ticks drain at once (and take whatever is queued with them). `fn` does not
   * touch the store (it enqueues at once); see runSoonAsync.
   */
  private runSoon(fn: () => void): void {
    void this.enqueueSafely(fn);
    this.drainSoon();
  }

  /** runSoon() for an input that reads the store: `fn` runs on the chain. */
  private runSoonAsync(fn: () => Promise<void>): void {
    void this.serial(() => this.enqueueSafely(fn));
    this.drainSoon();
  }

  /**
   * Drains at the end of this turn, or later so that drains of a large rollout start at
   * least drainSpacingMs(hosts) apart: each costs a copy, a comparison and a save of the
   * whole rollout (O(hosts)), and inputs arriving one by one (other replicas' signals, one
   * host each) would otherwise step it once per host.
   */
  private drainSoon(): void {
    if (this.drainTurn) return;
    const go = () => {
      this.drainTurn = undefined;
      void this.serial(() => this.drain({ oneRound: true }));
    };
    const wait = this.lastDrainAt + drainSpacingMs(this.largestActive) - performance.now();
    if (wait > 0) {
      const t = setTimeout(go, wait);
      this.drainTurn = () => clearTimeout(t);
    } else {
      const t = setImmediate(go);
      this.drainTurn = () => clearImmediate(t);
    }
  }

  /** Appends `work` to the runner's chain; its failure is logged, never breaks the chain. */
  private serial(work: () => Promise<void>): Promise<void> {
    return this.onChain(work).catch(() => undefined);
  }

  /** serial(), resolving or rejecting with `work` (its failure is logged too). */
  private onChain<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.then(
      () => undefined,
      (err: unknown) => {
        this.o.log.error({ err: describeError(err) }, "rollout bookkeeping failed");
      },
    );
    return next;
  }

  private async enqueueSafely(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.o.log.error({ err: describeError(err) }, "rollout bookkeeping failed");
    }
  }

  /**
   * Steps every queued event: per round, each policy's events in arrival order as one batch,
   * the changed rollouts saved, then their effects performed (which may queue more events:
   * the next round). `oneRound` (drainSoon): what is queued after the first round waits for
   * the next drainSoon (spaced), so that inputs trickling in while a large rollout is saved
   * do not step it round after round.
   */
  private async drain(options: { oneRound?: boolean } = {}): Promise<void> {
    if (this.draining) return;
    // A follower steps nothing (its inputs go to the leader); nothing should have been queued.
    if (this.roleNow !== "leader") {
      this.queue.length = 0;
      return;
    }
    this.draining = true;
    this.lastDrainAt = performance.now();
    try {
      while (this.queue.length > 0) {
        const byPolicy = new Map<string, RolloutEvent[]>();
        for (const { policy, event } of this.queue.splice(0)) {
          const events = byPolicy.get(policy);
          if (events) events.push(event);
          else byPolicy.set(policy, [event]);
        }
        await this.applyBatches(byPolicy);
        // What arrived meanwhile (and what the effects queued) waits for the next spaced drain
        // when the rollout is large: inputs arriving while it is saved would otherwise step
        // it round after round, one host at a time.
        if (options.oneRound || drainSpacingMs(this.largestActiveNow()) > 0) break;
      }
    } finally {
      this.draining = false;
      this.largestActive = this.largestActiveNow();
      if (this.queue.length > 0) this.drainSoon();
    }
  }

  /** Hosts of the largest active rollout. */
  private largestActiveNow(): number {
    return Math.max(0, ...this.activeRollouts().map((r) => Object.keys(r.hosts).length));
  }

  private apply(policy: string, event: RolloutEvent): Promise<void> {
    return this.applyBatches(new Map([[policy, [event]]]));
  }

  private async applyBatches(byPolicy: Map<string, RolloutEvent[]>): Promise<void> {
    const stepped: { policy: string; before: Rollout; rollout: Rollout; effects: RolloutEffect[] }[] = [];
    for (const [policy, events] of byPolicy) {
      const before = this.latest.get(policy);
      if (!before) continue;
      const { rollout, effects } = stepAll(before, events, (event, err) =>
        this.o.log.warn({ policy, event: event.type, err: describeError(err) }, "rollout event not applicable"),
      );
      if (effects.length === 0 && this.sameState(before, rollout)) continue;
      stepped.push({ policy, before, rollout, effects });
    }
    const saved: typeof stepped = [];
    for (const s of stepped) {
      try {
        await this.save(s.rollout);
        saved.push(s);
      } catch (err) {
        this.o.log.error(
          { policy: s.policy, rollout: s.rollout.id, err: describeError(err) },
          "saving the rollout failed; the events are dropped",
        );
      }
    }
    for (const { policy, before, rollout, effects } of saved) {
      this.latest.set(policy, rollout);
      if (before.state !== rollout.state)
        this.o.log.info(
          { policy, rollout: rollout.id, from: before.state, to: rollout.state, reason: rollout.reason ?? undefined },
          "rollout state changed",
        );
      // One commit for all the bundles these effects store.
      try {
        await this.o.hosts.inTransaction(async (tx) => {
          // The hosts whose bundle the effects change, delivered together after the others.
          const deliver: string[] = [];
          for (const fx of effects)
            if (fx.type === "sendRevision" || fx.type === "rollbackHost") deliver.push(fx.host);
            else this.perform(rollout, fx);
          // Hosts the rollout does not track hold its good revision: tell them when it changed
          // (success, or a rollback of a succeeded rollout). Unchanged bundles are not re-sent.
          if (goodRevision(before) !== goodRevision(rollout)) {
            for (const name of await this.o.hosts.names(tx)) if (!rollout.hosts[name]) deliver.push(name);
          }
          await this.o.bundles.deliverHosts(deliver, tx);
        });
      } catch (err) {
        this.o.log.error({ policy, rollout: rollout.id, err: describeError(err) }, "performing rollout effects failed");
      }
    }
  }

  /** An effect other than a delivery (applyBatches delivers the bundles of a batch together). */
  private perform(r: Rollout, fx: Exclude<RolloutEffect, { type: "sendRevision" | "rollbackHost" }>): void {
    const ctx = { policy: r.policy, rollout: r.id };
    switch (fx.type) {
      case "stageStarted":
        this.o.log.info(
          {
            ...ctx,
            stage: fx.stage,
            kind: fx.kind,
            hosts: fx.hosts.length > 20 ? `${fx.hosts.length} hosts` : fx.hosts,
          },
          "rollout stage started",
        );
        if (fx.kind === "plan") this.startPlan(r);
        return;
      case "stageSucceeded":
        this.o.log.info({ ...ctx, stage: fx.stage }, "rollout stage succeeded");
        return;
      case "rolloutFailed":
        this.o.log.warn({ ...ctx, reason: fx.reason }, "rollout failed");
        return;
      case "log":
        this.o.log[fx.level]({ ...ctx, host: fx.host, stage: fx.stage }, fx.message);
        return;
    }
  }

  // ---- stage 0 ----

  private startPlan(r: Rollout): void {
    const policy = r.policy;
    const id = r.id;
    if (!this.planStage) {
      this.enqueue(policy, { type: "planSkipped", at: this.now() });
      return;
    }
    const skipped = (err: unknown) =>
      this.o.log.warn({ policy, rollout: id, err: describeError(err) }, "the plan stage could not run; skipped");
    try {
      const started = this.planStage(r, (result) => {
        void this.run(() => {
          if (this.latest.get(policy)?.id === id)
            this.enqueue(policy, { type: "planRecorded", result, at: this.now() });
        });
      });
      started?.catch((err: unknown) => {
        skipped(err);
        void this.run(() => {
          if (this.latest.get(policy)?.id === id) this.enqueue(policy, { type: "planSkipped", at: this.now() });
        });
      });
    } catch (err) {
      skipped(err);
      this.enqueue(policy, { type: "planSkipped", at: this.now() });
    }
  }

  /** After a restart: a rollout whose plan stage was waiting asks again. */
  private resumePlan(r: Rollout): void {
    if (r.stages[0]?.state === "waiting") this.startPlan(r);
  }

  // ---- helpers ----

  /**
   * Stores `r` and keeps the JSON stored for sameState; with replicas, the saving transaction
   * publishes `rollout` (r's policy) for the followers. Throws what RolloutStore.save throws.
   */
  private async save(r: Rollout): Promise<void> {
    const signals = this.o.signals;
    const announce = signals ? (tx: Queryable) => signals.publish("rollout", [r.policy], tx) : undefined;
    this.savedJson.set(r, await this.o.store.save(r, undefined, announce));
  }

  /** Whether stepping `before` gave `after` with nothing but `updatedAt` changed. */
  private sameState(before: Rollout, after: Rollout): boolean {
    let json = this.savedJson.get(before);
    if (json === undefined) {
      json = JSON.stringify(before);
      this.savedJson.set(before, json);
    }
    // Same key order as `after`; only updatedAt's value is taken from `before`.
    return JSON.stringify({ ...after, updatedAt: before.updatedAt }) === json;
  }

  private async safely(policy: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.o.log.error(
        { policy, err: describeError(err) },
        "acting on the policy's new revision failed; hosts keep the revisions they hold",
      );
    }
  }

  private activeRollouts(): Rollout[] {
    return [...this.latest.values()].filter(isActive);
  }

  /**
   * `host` for targeting `targets`: inventory groups and labels, and its facts, read from the
   * store only when `targets` match on facts.
   */
  private async targetHost(
    host: string,
    inventory: Inventory,
    targets: LoadedPolicy["targets"] | undefined,
  ): Promise<TargetHost> {
    const factsJson = targets?.facts ? await this.o.hosts.factsJson(host) : undefined;
    return withInventory(
      lazyTargetHost(host, () => factsJson),
      inventory,
    );
  }

  private async targetedBy(
    r: Rollout,
    host: string,
    revisions: readonly (string | null)[] = [r.toRevision, r.fromRevision],
  ): Promise<boolean> {
    if (!(await this.o.hosts.has(host))) return false;
    const { inventory } = this.o.policies.current();
    for (const rev of revisions) {
      if (rev === null) continue;
      try {
        const { targets } = await this.o.revisions.get(r.policy, rev);
        if (matchTargets(targets, await this.targetHost(host, inventory, targets))) return true;
      } catch {
        // An unavailable revision targets nobody.
      }
    }
    return false;
  }
}

/**
 * Whether a host's stored stream (hosts row) shows it connected to a replica other than
 * `from`, whose stream of it ended: it moved there. '' is a single SQLite controller's
 * name for itself (never another replica).
 */
function movedAway(stream: { connected: boolean; replica: string } | undefined, from: string): boolean {
  return stream?.connected === true && stream.replica !== from && stream.replica !== "";
}

export class RolloutMissingError extends VirtfleetError {
  constructor(readonly policy: string) {
    super("ROLLOUT_MISSING", `policy ${policy} has no rollout yet`);
  }
}

/** Fewest ms between two drains of inputs (drainSoon) when the largest active rollout has `hosts` hosts. */
export function drainSpacingMs(hosts: number): number {
  return Math.min(MAX_DRAIN_SPACING_MS, Math.floor(hosts / HOSTS_PER_SPACING_MS));
}
