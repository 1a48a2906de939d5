import {
  describeError,
  formatConflict,
  type LoadedPolicy,
  type Logger,
  type Queryable,
  type SqliteDatabase,
  type TargetHost,
} from "../../common/index.js";
import type { BundledPolicy } from "../../generated/proto/fleet/v1/BundledPolicy.js";
import type { AgentService, AgentSession } from "../agents/index.js";
import { lazyTargetHost, type PolicySet } from "../policies/index.js";
import type { HostStore } from "../hosts/index.js";
import type { ReplicaSignals, Signal } from "../replicas/index.js";
import { BundleComputer } from "./bundle.js";
import { HostBundleStore, type HostBundle } from "./bundle-store.js";

/** Where the policies in force come from (PolicyRepository). */
export interface PolicySetSource {
  current(): PolicySet;
  /**
   * `listener` may return a Promise (the fleet's new bundles stored and sent). `origin`
   * "store": another replica (the leader) wrote the change and stores the fleet's bundles.
   */
  onChange(listener: (change?: unknown, origin?: "folder" | "push" | "store") => unknown): () => void;
}

/**
 * Chooses which revision of each policy in force a host's bundle carries (the rollout
 * engine: hosts outside a started stage keep the previous good revision). Returns the
 * policies to resolve for `host`; may throw, which leaves the host's bundle unchanged.
 */
export interface RevisionSelector {
  /** `on`: the transaction the caller runs in, if any (reads of the store must run in it). */
  policiesFor(host: string, inForce: readonly LoadedPolicy[], on?: Queryable): LoadedPolicy[] | Promise<LoadedPolicy[]>;
  /**
   * Policy revisions `host` was sent and that were rolled back (PolicyBundle.rolled_back): its
   * agent removes what they created and restores what they adopted (docs/design/ownership.md).
   */
  rolledBackFor?(host: string): { policy: string; revision: string }[];
}

/** Hosts whose facts one read fetches (deliverHosts). */
const FACTS_BATCH = 500;
/** Streams whose stored bundles one read fetches (sendStored). */
const STORED_BATCH = 500;

/** A bundle as sent to an agent. */
export interface BundleMessage {
  revision: string;
  generation: number;
  policies: Required<BundledPolicy>[];
}

/**
 * Computes, stores and delivers each host's policy bundle. Contract:
 * - a host's bundle is resolved from the policies in force, the inventory and the host's
 *   stored facts; a new revision becomes a new generation (host_bundles);
 * - policies that fail to resolve for a host, or lose a tied conflict, are left out of its
 *   bundle, logged, and kept in the bundle's `problems`; they never break the stream;
 * - a connected agent is sent the bundle whenever its revision differs from the one the
 *   agent last said it has (Hello) or was last sent: on connect, after an accepted policy
 *   change, and after its facts changed. An agent without a bundle ("") counts as holding
 *   an empty one, so a host no policy targets is sent nothing.
 * - which revision of each policy a host gets is the selector's choice (default: the one in
 *   force); after every delivery attempt to a connected agent (sent, or already held)
 *   `onDelivered` listeners hear the bundle (and so the generation) the agent now has.
 * - replicas (`useSignals`): a bundle stored here for a host whose stream is not here
 *   (`deliverHost`: a rollout step, a policy change) is announced on the `bundle` channel, in
 *   the transaction that stores it (delivered when it commits); every replica, on the signal,
 *   sends the STORED bundle (never recomputed there) to those of the hosts whose stream it
 *   holds, unless the session holds it already; after a lost signal connection (resync) it
 *   does so for every stream it holds. Without signals: one controller, as before.
 */
export class BundleService {
  readonly bundles: HostBundleStore;
  /** The bundle revision each live session holds (from its Hello, then what we sent). */
  private readonly held = new WeakMap<AgentSession, string>();
  /** The bundle generation sent on each live session (none until one was sent on it). */
  private readonly sentGeneration = new WeakMap<AgentSession, number>();
  /**
   * Streams due their stored bundle (another replica stored it, or signals were lost), sent
   * in batches by one loop at a time (`sendQueued`): a burst of signals costs one read and
   * one write per batch, and a session's sends stay in order.
   */
  private readonly dueStored = new Set<AgentSession>();
  private sendingStored: Promise<void> | undefined;
  private signals: ReplicaSignals | undefined;
  private readonly deliveredListeners: ((host: string, bundle: HostBundle) => void)[] = [];
  private readonly computer = new BundleComputer();
  private agents: AgentService | undefined;
  private selector: RevisionSelector | undefined;

  constructor(
    db: SqliteDatabase | Queryable,
    private readonly hosts: HostStore,
    private readonly policies: PolicySetSource,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.bundles = new HostBundleStore(db);
  }

  /** Sets who chooses the revision of each policy per host (before attach). */
  useSelector(selector: RevisionSelector): void {
    this.selector = selector;
  }

  /**
   * Replicas: announce bundles stored here for hosts whose stream is elsewhere, and send the
   * bundles other replicas stored to the streams held here (before attach; see the class
   * comment). LocalSignals (one controller) changes nothing but an ignored signal.
   */
  useSignals(signals: ReplicaSignals): void {
    this.signals = signals;
  }

  /** Calls `listener(host, bundle)` after each delivery attempt to a connected agent, with the host's bundle as stored. */
  onDelivered(listener: (host: string, bundle: HostBundle) => void): void {
    this.deliveredListeners.push(listener);
  }

  /**
   * Computes and stores `host`'s current bundle (in `on`'s transaction when given); undefined
   * for an unknown host. `knownFacts`: the host's facts as stored (not read again).
   */
  async refresh(
    host: string,
    on?: Queryable,
    knownFacts?: string,
  ): Promise<{ bundle: HostBundle; changed: boolean } | undefined> {
    const saved = await this.store(host, on, knownFacts);
    if (saved?.changed) this.logChanged(saved.bundle);
    return saved;
  }

  /**
   * `refresh` without the "host bundle changed" line (deliver logs one line per host).
   * `knownFacts`: the host's facts as stored in `on`'s transaction (not read again).
   */
  private async store(
    host: string,
    on?: Queryable,
    knownFacts?: string,
  ): Promise<{ bundle: HostBundle; changed: boolean } | undefined> {
    // One read for both: an unknown host has no facts.
    const factsJson = knownFacts ?? (await this.hosts.factsJson(host, on));
    if (factsJson === undefined) return undefined;
    const { inventory } = this.policies.current();
    const computed = this.computer.compute(
      await this.chosenPolicies(host, on),
      inventory,
      this.targetHost(host, factsJson),
    );
    const saved = await this.bundles.save(host, computed, this.now(), on);
    if (saved.changed) {
      for (const p of computed.problems) this.log.warn({ host }, `policy left out of the host's bundle: ${p}`);
      for (const c of computed.conflicts.filter((c) => c.winner !== null))
        this.log.info({ host }, `conflict settled by priority: ${formatConflict(c)}`);
    }
    return saved;
  }

  /** `policies`: the bundle's content (a bundle `save` returned unchanged carries none). */
  private logChanged(bundle: HostBundle, sent = false, policies = bundle.bundle.policies.map((p) => p.name)): void {
    this.log.info(
      { host: bundle.host, revision: bundle.revision, generation: bundle.generation, policies },
      sent ? "bundle sent" : "host bundle changed",
    );
  }

  /**
   * The bundle `host` would get with `policy` replaced by `replacement` (e.g. a revision
   * still to be rolled out), for a dry-run; not stored. Undefined for an unknown host.
   */
  async hypothetical(host: string, replacement: LoadedPolicy): Promise<BundleMessage | undefined> {
    const factsJson = await this.hosts.factsJson(host);
    if (factsJson === undefined) return undefined;
    const { inventory } = this.policies.current();
    const others = (await this.chosenPolicies(host)).filter((p) => p.name !== replacement.name);
    const computed = this.computer.compute([...others, replacement], inventory, this.targetHost(host, factsJson));
    return {
      revision: computed.revision,
      generation: ((await this.bundles.generationOf(host)) ?? 0) + 1,
      policies: computed.policies,
    };
  }

  /**
   * The bundle `host` would get without policy `name` (the plan of its removal), and the
   * policy's resolved spec the host's stored bundle carries now (undefined: none). Not
   * stored. Undefined for an unknown host.
   */
  async hypotheticalWithout(
    host: string,
    name: string,
  ): Promise<{ bundle: BundleMessage; held: string | undefined } | undefined> {
    const factsJson = await this.hosts.factsJson(host);
    if (factsJson === undefined) return undefined;
    const { inventory } = this.policies.current();
    const others = (await this.chosenPolicies(host)).filter((p) => p.name !== name);
    const computed = this.computer.compute(others, inventory, this.targetHost(host, factsJson));
    const stored = await this.bundles.get(host);
    return {
      bundle: {
        revision: computed.revision,
        generation: ((await this.bundles.generationOf(host)) ?? 0) + 1,
        policies: computed.policies,
      },
      held: stored?.bundle.policies.find((p) => p.name === name)?.resolvedJson,
    };
  }

  /**
   * Recomputes `host`'s bundle (in `on`'s transaction when given) and sends it when its agent
   * is connected and lacks it. Never rejects: failures are logged.
   */
  deliverHost(host: string, on?: Queryable): Promise<void> {
    return this.deliverHosts([host], on);
  }

  /**
   * `deliverHost` for each of `hosts`, in order; the bundles stored for hosts whose stream is
   * not here are announced together (one signal per payload, not one per host). Never
   * rejects: failures are logged.
   */
  async deliverHosts(hosts: readonly string[], on?: Queryable): Promise<void> {
    const announce: string[] = [];
    for (let i = 0; i < hosts.length; i += FACTS_BATCH) {
      const chunk = hosts.slice(i, i + FACTS_BATCH);
      // The facts of many hosts in one read (a host without any is unknown: skipped)
      let facts: Map<string, string> | undefined;
      if (chunk.length > 1)
        facts = await this.hosts.factsJsonOf(chunk, on).catch((err: unknown) => {
          this.log.error({ hosts: chunk.length, err: describeError(err) }, "reading the hosts' facts failed");
          return undefined; // each host's are read alone
        });
      for (const host of chunk) {
        const known = facts?.get(host);
        if (facts && known === undefined) continue;
        const session = this.agents?.session(host);
        if (session) await this.deliver(session, on, known);
        else
          await this.safely(host, async () => {
            const saved = await this.refresh(host, on, known);
            // Another replica may hold the stream: it sends what is stored once this commits.
            if (saved && (saved.changed || saved.bundle.sentAt === null)) announce.push(host);
          });
      }
    }
    if (announce.length === 0 || !this.signals) return;
    try {
      await this.signals.publish("bundle", announce, on);
    } catch (err) {
      this.log.error(
        { hosts: announce.length, err: describeError(err) },
        "announcing stored bundles to the replicas failed",
      );
    }
  }

  /** `host` for targeting; its facts (read with the host) are parsed only if a policy uses them. */
  private targetHost(host: string, factsJson: string): TargetHost {
    return lazyTargetHost(host, () => factsJson);
  }

  /** The revision of each policy in force that `host` gets (the selector's choice, else the one in force). */
  private async chosenPolicies(host: string, on?: Queryable): Promise<readonly LoadedPolicy[]> {
    const { policies } = this.policies.current();
    return this.selector ? await this.selector.policiesFor(host, policies, on) : policies;
  }

  /** Hosts whose current bundle leaves policies out, by name. */
  async hostProblems(): Promise<{ host: string; problems: string[] }[]> {
    return (await this.bundles.list())
      .filter((b) => b.problems.length > 0)
      .map((b) => ({ host: b.host, problems: b.problems }));
  }

  /**
   * Wires delivery into the agent stream and policy changes, and recomputes every known
   * host's bundle once (resolves when stored): policies may have changed while the controller
   * was down, and compliance must see the bundles offline hosts are due, not the ones they
   * last got (`recomputeAll: false`: a follower replica, whose leader does that). A connecting agent's bundle is stored in its Hello's transaction (`onReady`'s).
   */
  async attach(agents: AgentService, options: { recomputeAll?: boolean } = {}): Promise<void> {
    this.agents = agents;
    const signals = this.signals;
    if (signals) {
      signals.subscribe("bundle", (signal) => this.onBundleSignal(signal));
      // Signals may have been lost meanwhile: every stream held here gets what is stored.
      signals.onResync(() => {
        this.queueStored(agents.sessions());
      });
    }
    agents.use({
      onReady: (session, hello, tx) => {
        this.held.set(session, hello.bundleRevision);
        // The Hello's facts were stored in this transaction: not read back.
        return this.deliver(session, tx, hello.factsJson);
      },
      onFacts: (session) => this.deliver(session),
    });
    this.policies.onChange((_change, origin) =>
      // A change followed from the store was made by the leader, which stores every host's
      // bundle and announces them (`bundle`): recomputing them here too would race it.
      origin === "store"
        ? undefined
        : // One commit for the whole fleet's new bundles, then they are on the wire.
          this.hosts
            .inTransaction(async (tx) => this.deliverHosts(await this.hosts.names(tx), tx))
            .catch((err: unknown) =>
              this.log.error({ err: describeError(err) }, "storing the fleet's bundles after a policy change failed"),
            ),
    );
    // Every host's bundle in one commit (not on a follower replica: the leader does it).
    if (options.recomputeAll === false) return;
    await this.hosts.inTransaction(async (tx) => {
      for (const name of await this.hosts.names(tx)) await this.safely(name, () => this.refresh(name, tx));
    });
  }

  /** Sends `session` its host's bundle unless the agent already holds that revision. Never rejects: failures are logged. */
  private async deliver(session: AgentSession, on?: Queryable, knownFacts?: string): Promise<void> {
    const host = session.host;
    if (host === undefined || session.closed) return;
    await this.safely(host, async () => {
      const saved = await this.store(host, on, knownFacts);
      if (!saved || session.closed) return;
      const held = this.held.get(session);
      // Skip only when the agent holds this revision AND this generation was sent: after
      // A → B → A while it was away it holds A at an older generation and must learn the new
      // one (it updates the generation without re-converging), or it stays "pending" forever.
      const sentThisGeneration = saved.bundle.sentAt !== null && !saved.changed;
      const { bundle } = saved;
      // The stored content is read only when needed: a bundle saved unchanged carries none.
      const content = () => this.bundles.content(bundle, on);
      const skip =
        (held === bundle.revision && sentThisGeneration) || (held === "" && (await content()).policies.length === 0);
      if (!skip) {
        const { policies } = await content();
        this.sendOn(session, host, bundle, policies);
        await this.bundles.markSent(host, bundle.revision, this.now(), on);
        // One line per host and revision: "bundle sent" says what "host bundle changed" would.
        this.logChanged(
          bundle,
          true,
          policies.map((p) => p.name),
        );
      } else if (saved.changed) {
        this.logChanged(bundle);
      }
      for (const l of this.deliveredListeners) l(host, bundle);
    });
  }

  /** Another replica stored bundles for `signal.ids`: those whose stream is here get them. */
  private onBundleSignal(signal: Signal): void {
    // This replica's own announcements name hosts whose stream was not here.
    if (signal.from === this.signals?.replica) return;
    const sessions: AgentSession[] = [];
    for (const host of signal.ids) {
      const session = this.agents?.session(host);
      if (session) sessions.push(session);
    }
    this.queueStored(sessions);
  }

  private queueStored(sessions: Iterable<AgentSession>): void {
    for (const s of sessions) this.dueStored.add(s);
    if (this.dueStored.size === 0 || this.sendingStored) return;
    this.sendingStored = this.sendQueued().finally(() => {
      this.sendingStored = undefined;
      if (this.dueStored.size > 0) this.queueStored([]);
    });
  }

  /** Sends the queued streams their stored bundles, STORED_BATCH at a time, until none is due. */
  private async sendQueued(): Promise<void> {
    while (this.dueStored.size > 0) {
      const batch: AgentSession[] = [];
      for (const s of this.dueStored) {
        batch.push(s);
        if (batch.length === STORED_BATCH) break;
      }
      for (const s of batch) this.dueStored.delete(s);
      await this.sendStored(batch);
    }
  }

  /**
   * Sends each session its host's bundle as stored (not recomputed: the replica that stored
   * it decided), unless the session holds that revision and this generation was sent (here
   * or, sent_at, by whichever replica sent it), or holds none and the bundle is empty
   * (deliver's rule). One read for the batch, one write for what was sent; never rejects:
   * failures are logged.
   */
  private async sendStored(batch: readonly AgentSession[]): Promise<void> {
    const live = batch.filter((s) => s.host !== undefined && !s.closed);
    if (live.length === 0) return;
    let stored: Map<string, HostBundle>;
    try {
      stored = await this.bundles.getMany(live.map((s) => s.host!));
    } catch (err) {
      this.log.error({ hosts: live.length, err: describeError(err) }, "reading stored bundles to send failed");
      return;
    }
    const sent: { host: string; revision: string }[] = [];
    const delivered: [string, HostBundle][] = [];
    for (const session of live) {
      const host = session.host!;
      const b = stored.get(host);
      if (!b || session.closed || this.agents?.session(host) !== session) continue;
      const held = this.held.get(session);
      const policies = b.bundle.policies;
      const wasSent = this.sentGeneration.get(session) === b.generation || b.sentAt !== null;
      const skip = (held === b.revision && wasSent) || (held === "" && policies.length === 0);
      if (!skip) {
        this.sendOn(session, host, b, policies);
        sent.push({ host, revision: b.revision });
        this.logChanged(
          b,
          true,
          policies.map((p) => p.name),
        );
      }
      delivered.push([host, b]);
    }
    try {
      await this.bundles.markSentMany(sent, this.now());
    } catch (err) {
      this.log.error({ hosts: sent.length, err: describeError(err) }, "recording sent bundles failed");
    }
    for (const [host, b] of delivered)
      await this.safely(host, async () => {
        for (const l of this.deliveredListeners) l(host, b);
      });
  }

  /** Sends `bundle` with `policies` (its content) on `session` and remembers what the session now holds. */
  private sendOn(session: AgentSession, host: string, bundle: HostBundle, policies: BundledPolicy[]): void {
    session.send({
      bundle: {
        revision: bundle.revision,
        generation: bundle.generation,
        policies,
        rolledBack: this.selector?.rolledBackFor?.(host) ?? [],
      },
    });
    this.held.set(session, bundle.revision);
    this.sentGeneration.set(session, bundle.generation);
  }

  private async safely(host: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.log.error({ host, err: describeError(err) }, "computing or sending the host's bundle failed");
    }
  }
}
