import {
  describeError,
  emptyInventory,
  formatIssue,
  isInventoryFile,
  loadPolicySourcesYielding,
  sortIssues,
  type Inventory,
  type LoadedPolicy,
  type Logger,
  type PolicyIssue,
  type PolicySource,
  type Queryable,
} from "../../common/index.js";
import { SoleLeader, type LeaderState, type Leadership, type ReplicaSignals } from "../replicas/index.js";
import { documentSource } from "./document-source.js";
import { PolicyPushRefusedError } from "./errors.js";
import { assertPoliciesDir, readPolicyFolder } from "./folder.js";
import type { PolicyStore } from "./policy-store.js";
import { pushedSources, type PushedFile } from "./pushed-files.js";
import { planRevisions, type RevisionInForce } from "./revisions.js";
import { watchPolicyFolder, type FolderWatch } from "./watch.js";

/** Quiet time after the last file event before the folder is reloaded. */
export const DEFAULT_RELOAD_DEBOUNCE_MS = 300;

/** The `policies` signal's id when only the inventory changed (not a valid policy name). */
const INVENTORY_SIGNAL_ID = "(inventory)";

/** The policies in force and the inventory they were accepted with. */
export interface PolicySet {
  policies: readonly LoadedPolicy[];
  inventory: Inventory;
}

/** What an accepted load changed. */
export interface PolicyChange {
  /** Policies with a new revision (new or changed content). */
  created: string[];
  removed: string[];
  inventoryChanged: boolean;
}

/**
 * Where a change came from (the listeners' second argument): this replica's folder load or
 * push (it wrote the revisions), or the store (another replica wrote them; this one followed).
 * Duties that must happen once per change (the audit record) act on "folder" and "push" only.
 */
export type PolicyChangeOrigin = "folder" | "push" | "store";

export type ReloadOutcome =
  | { accepted: true; change: PolicyChange | null }
  | { accepted: false; errors: PolicyIssue[] };

export interface PolicyRepositoryOptions {
  /** The policies folder; null: none (store only: revisions come from `virtfleet policy push`). */
  dir: string | null;
  store: PolicyStore;
  log: Logger;
  /** Default DEFAULT_RELOAD_DEBOUNCE_MS. */
  debounceMs?: number;
  /** false: load once when leading, no watch (tests). Default true. */
  watch?: boolean;
  now?: () => number;
  /** Who loads and writes revisions (default SoleLeader: this controller, always). */
  leadership?: Leadership;
  /** Replica signals: the leader publishes `policies`, followers re-read on it (default none: one controller). */
  signals?: ReplicaSignals;
}

/**
 * The policies in force, on one controller or on each of several replicas. Contract:
 * - `start()` fails with PoliciesDirError when a folder is configured and missing; then takes
 *   the revisions in force in the store as its baseline (listeners are not called for it) and
 *   follows `leadership`.
 * - The leader (always, with SoleLeader) loads the folder — at start, and on each change while
 *   it watches — and takes pushes (`push`, only without a folder). A load with no errors is
 *   accepted: policies whose content revision changed get a new stored revision (generation +
 *   1), vanished ones are marked removed, the attempt is recorded (all writes through
 *   `leadership.fenced`), listeners hear of it when anything in force changed, and `policies`
 *   is signalled. A load with any error is rejected whole: every error is logged (warn,
 *   `file:line:col: path: message`) and, for a folder, stored with the attempt; what was in
 *   force stays. A rejected push stores nothing.
 * - A follower never reads the folder: on a `policies` signal from another replica, and on
 *   resync, it re-reads the revisions in force from the store and calls its listeners with the
 *   change against what it held (origin "store").
 * - Becoming leader: sync from the store, then load the folder (when configured) and watch it.
 *   Losing it: the watch stops at once.
 * All loads, pushes and syncs run one after the other.
 */
export class PolicyRepository {
  private set: PolicySet = { policies: [], inventory: emptyInventory() };
  private inventorySource: string | null = null;
  /** The revision in force of each policy held (from the store rows: a stored source that no longer parses still counts). */
  private held = new Map<string, string>();
  private readonly listeners = new Set<(change: PolicyChange, origin: PolicyChangeOrigin) => unknown>();
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: FolderWatch | undefined;
  private leading = false;
  private closed = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly now: () => number;
  private readonly leadership: Leadership;

  constructor(private readonly options: PolicyRepositoryOptions) {
    this.now = options.now ?? Date.now;
    this.leadership = options.leadership ?? new SoleLeader();
  }

  /** The policies folder, or null when there is none (store only). */
  get dir(): string | null {
    return this.options.dir;
  }

  get store(): PolicyStore {
    return this.options.store;
  }

  /** Whether this replica loads and writes revisions now. */
  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    const { dir, signals } = this.options;
    if (dir !== null) await assertPoliciesDir(dir);
    await this.serially(() => this.sync(false));
    if (signals) {
      this.unsubscribe.push(
        signals.subscribe("policies", (s) => {
          if (s.from !== signals.replica) this.follow("a policies signal");
        }),
        signals.onResync(() => this.follow("signals reconnected")),
      );
    }
    this.unsubscribe.push(this.leadership.onChange((state) => this.roleChanged(state)));
    await this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.leading = false;
    await this.stopWatch();
    await this.chain;
  }

  /** The policies in force and their inventory. */
  current(): PolicySet {
    return this.set;
  }

  /** The stored revision in force for each policy. */
  async revisions(): Promise<RevisionInForce[]> {
    return (await this.options.store.inForce()).map((r) => ({
      policy: r.policy,
      revision: r.revision,
      generation: r.generation,
    }));
  }

  /**
   * Calls `listener` after each accepted load, push or followed change that changed what is in
   * force, with where it came from (PolicyChangeOrigin); returns an unsubscribe. Listeners run one after the other, in the order added: one
   * that returns a Promise is awaited before the next runs (the rollout runner creates its
   * rollout before the bundles are computed and sent).
   */
  onChange(listener: (change: PolicyChange, origin: PolicyChangeOrigin) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Loads the folder now (after any load in progress), when this replica leads and has one;
   * else a rejected outcome saying why (nothing read). Never throws: failures are rejected loads.
   */
  reload(): Promise<ReloadOutcome> {
    const dir = this.options.dir;
    if (dir === null) return Promise.resolve(refusal(".", "this controller has no policies folder"));
    return this.serially(async () => {
      if (!this.leading) return refusal(dir, "this replica is not the leader; it does not read the policies folder");
      return this.accept(await readPolicyFolder(dir), "folder");
    }).catch((err: unknown) => this.failed(err));
  }

  /**
   * `virtfleet policy push`: `files` (one folder's files, by name) validated and stored like a
   * folder load (accepted whole or rejected whole; a rejected push stores nothing). Throws
   * PolicyPushRefusedError when this controller has a policies folder, or is not the leader.
   */
  async push(files: readonly PushedFile[]): Promise<ReloadOutcome> {
    if (this.options.dir !== null)
      throw new PolicyPushRefusedError(
        "folder",
        `this controller loads the policies folder ${this.options.dir}, which is the source of truth: change the files there (or run the controller with --no-policies-folder to take pushes)`,
      );
    return this.serially(() => {
      if (!this.leading)
        throw new PolicyPushRefusedError("not-leader", "this controller replica is not the leader; push to the leader");
      return this.accept(pushedSources(files), "push");
    });
  }

  /** Re-reads the store (queued); a failure is logged: the next signal or resync tries again. */
  private follow(why: string): void {
    this.serially(() => this.sync(true)).catch((err: unknown) =>
      this.options.log.error(
        { why, err: describeError(err) },
        "re-reading the policies in force from the store failed",
      ),
    );
  }

  /** Runs `task` after everything queued before it; a failure does not stop what follows. */
  private serially<T>(task: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async failed(err: unknown): Promise<ReloadOutcome> {
    const dir = this.options.dir ?? ".";
    const errors = [{ file: dir, line: 0, col: 0, path: "", message: `loading failed: ${describeError(err)}` }];
    this.options.log.error(
      { dir, err: describeError(err) },
      "loading the policies folder failed; the previous revisions stay in force",
    );
    // Recorded like any rejected load, so `policies --json` shows it (not the last accepted load's `errors: []`).
    await this.options.store.recordRejected(errors, [], this.now(), this.writer()).catch(() => undefined);
    return { accepted: false, errors };
  }

  /** The store's handle for writes: refused (FencedError) once this replica no longer leads. */
  private writer(): Queryable {
    return this.leadership.fenced(this.options.store.queryable);
  }

  private roleChanged(state: LeaderState): void {
    if (this.closed) return;
    const { log, dir } = this.options;
    if (state.leader && !this.leading) {
      this.leading = true;
      log.info({ epoch: state.epoch, dir }, "policies: leading (loading revisions here)");
      this.serially(async () => {
        await this.sync(true).catch((err: unknown) =>
          log.error({ err: describeError(err) }, "re-reading the policies in force from the store failed"),
        );
        if (dir === null || !this.leading) return;
        const outcome = await this.accept(await readPolicyFolder(dir), "folder").catch((err: unknown) =>
          this.failed(err),
        );
        if (!outcome.accepted)
          log.warn(
            { policies: this.set.policies.map((p) => p.name) },
            "the policies folder is invalid; enforcing the stored revisions",
          );
        if (this.leading && !this.closed) this.startWatch(dir);
      }).catch((err: unknown) => log.error({ err: describeError(err) }, "taking over the policies duty failed"));
    } else if (!state.leader && this.leading) {
      this.leading = false;
      log.info({ reason: state.reason }, "policies: following (the leader loads revisions)");
      void this.stopWatch();
    }
  }

  private startWatch(dir: string): void {
    if (this.options.watch === false || this.watcher) return;
    this.watcher = watchPolicyFolder(
      dir,
      this.options.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS,
      () => void this.reload(),
      (err) => this.options.log.error({ dir, err: describeError(err) }, "watching the policies folder failed"),
    );
  }

  /** Stops the watch; its pending debounce is cancelled at once (synchronously). */
  private stopWatch(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    return w ? w.close() : Promise.resolve();
  }

  /** Validates `read` (a folder's or a push's files) and, without errors, stores it as the revisions in force. */
  private async accept(
    read: { sources: PolicySource[]; errors: PolicyIssue[] },
    origin: "folder" | "push",
  ): Promise<ReloadOutcome> {
    const { store, log } = this.options;
    const where = origin === "folder" ? this.options.dir : "(push)";
    // The controller always has an inventory (the folder's, or the empty one), so a group
    // it does not define is rejected even without inventory.yaml (spec: "unknown groups in
    // targets are errors at load time"). Restoring stored revisions stays lenient: they were
    // accepted before, possibly under the older rule, and must not be dropped at startup.
    // Parsed one file per event-loop turn: agents' streams keep being served meanwhile.
    const result = await loadPolicySourcesYielding(read.sources, { strictGroups: true });
    const files = read.sources.map((s) => s.file);
    const errors = sortIssues([...read.errors, ...result.errors], files);
    const now = this.now();
    if (errors.length > 0) {
      if (origin === "folder") await store.recordRejected(errors, files, now, this.writer());
      for (const e of errors)
        log.warn({ dir: where, file: e.file, line: e.line, col: e.col, path: e.path }, formatIssue(e));
      log.warn({ dir: where, errors: errors.length }, "policy change rejected; the previous revisions stay in force");
      return { accepted: false, errors };
    }
    const writer = this.writer();
    const lastGenerations = new Map<string, number>();
    for (const p of result.policies) lastGenerations.set(p.name, await store.lastGeneration(p.name));
    const plan = planRevisions(await this.revisions(), result.policies, (p) => lastGenerations.get(p) ?? 0);
    const texts = new Map(read.sources.map((s) => [s.file, s.text]));
    const sources = new Map(
      plan.created.map(({ policy }) => [policy.name, documentSource(texts.get(policy.file) ?? "", policy.revision)]),
    );
    const inventory = inventorySourceOf(read.sources);
    const generations = await store.recordAccepted({ plan, sources, files, inventory, now }, writer);
    const inventoryChanged = (inventory?.source ?? null) !== this.inventorySource;
    this.set = { policies: result.policies, inventory: result.inventory };
    this.held = new Map(result.policies.map((p) => [p.name, p.revision]));
    this.inventorySource = inventory?.source ?? null;
    const change: PolicyChange = {
      created: plan.created.map((c) => c.policy.name),
      removed: plan.removed,
      inventoryChanged,
    };
    if (change.created.length === 0 && change.removed.length === 0 && !inventoryChanged) {
      log.debug({ dir: where }, "policies reloaded; nothing changed");
      return { accepted: true, change: null };
    }
    log.info(
      {
        dir: where,
        created: plan.created.map((c) => ({
          policy: c.policy.name,
          revision: c.policy.revision,
          generation: generations.get(c.policy.name) ?? c.generation,
        })),
        removed: plan.removed,
        inventoryChanged,
      },
      "policy change accepted",
    );
    await this.notify(change, origin);
    // After the listeners: the rollout a change starts is stored before the followers hear of
    // it, so their bundles hold each host at the revision the rollout gives it.
    const ids = [...change.created, ...change.removed];
    await this.options.signals
      ?.publish("policies", ids.length > 0 ? ids : [INVENTORY_SIGNAL_ID])
      .catch((err: unknown) =>
        log.warn({ err: describeError(err) }, "signalling the policy change to the other replicas failed"),
      );
    return { accepted: true, change };
  }

  /**
   * Makes the set in force the store's revisions in force and the last accepted load's
   * inventory. `notify`: call listeners with what changed against what was held (origin
   * "store"); false for the baseline at start. Stored sources are parsed leniently (they were
   * accepted before); one that no longer parses is logged and left out.
   */
  private async sync(notify: boolean): Promise<PolicyChange | null> {
    const { store, log } = this.options;
    const rows = await store.inForce();
    const inv = await store.lastAcceptedLoad();
    const inventorySource = inv?.inventorySource ?? null;
    const stored = new Map(rows.map((r) => [r.policy, r.revision]));
    const change: PolicyChange = {
      created: rows.filter((r) => this.held.get(r.policy) !== r.revision).map((r) => r.policy),
      removed: [...this.held.keys()].filter((p) => !stored.has(p)).sort(),
      inventoryChanged: inventorySource !== this.inventorySource,
    };
    const changed = change.created.length > 0 || change.removed.length > 0 || change.inventoryChanged;
    if (!changed && notify) return null;
    const sources: PolicySource[] = rows.map((r) => ({ file: r.file, text: r.source }));
    if (inv?.inventoryFile && inv.inventorySource !== null)
      sources.unshift({ file: inv.inventoryFile, text: inv.inventorySource });
    const result = await loadPolicySourcesYielding(sources, { resolveInventoryHosts: false });
    for (const e of result.errors) log.error({ file: e.file }, `restoring a stored revision failed: ${formatIssue(e)}`);
    this.set = { policies: result.policies, inventory: result.inventory };
    this.held = stored;
    this.inventorySource = inventorySource;
    if (!notify || !changed) return null;
    log.info(
      { created: change.created, removed: change.removed, inventoryChanged: change.inventoryChanged },
      "policies: followed a change stored by another replica",
    );
    await this.notify(change, "store");
    return change;
  }

  private async notify(change: PolicyChange, origin: PolicyChangeOrigin): Promise<void> {
    for (const l of this.listeners) {
      try {
        await l(change, origin);
      } catch (err) {
        this.options.log.error({ err: describeError(err) }, "policy change listener failed");
      }
    }
  }
}

function refusal(file: string, message: string): ReloadOutcome {
  return { accepted: false, errors: [{ file, line: 0, col: 0, path: "", message }] };
}

function inventorySourceOf(sources: readonly PolicySource[]): { file: string; source: string } | null {
  const inv = sources.find((s) => isInventoryFile(s.file));
  return inv ? { file: inv.file, source: inv.text } : null;
}
