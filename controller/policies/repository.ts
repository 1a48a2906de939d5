import {
  describeError,
  emptyInventory,
  formatIssue,
  isInventoryFile,
  loadPolicySources,
  loadPolicySourcesYielding,
  sortIssues,
  type Inventory,
  type LoadedPolicy,
  type Logger,
  type PolicyIssue,
  type PolicySource,
} from "../../common/index.js";
import { documentSource } from "./document-source.js";
import { assertPoliciesDir, readPolicyFolder } from "./folder.js";
import type { PolicyStore } from "./policy-store.js";
import { planRevisions, type RevisionInForce } from "./revisions.js";
import { watchPolicyFolder, type FolderWatch } from "./watch.js";

/** Quiet time after the last file event before the folder is reloaded. */
export const DEFAULT_RELOAD_DEBOUNCE_MS = 300;

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

export type ReloadOutcome =
  | { accepted: true; change: PolicyChange | null }
  | { accepted: false; errors: PolicyIssue[] };

export interface PolicyRepositoryOptions {
  dir: string;
  store: PolicyStore;
  log: Logger;
  /** Default DEFAULT_RELOAD_DEBOUNCE_MS. */
  debounceMs?: number;
  /** false: load once at start, no watch (tests). Default true. */
  watch?: boolean;
  now?: () => number;
}

/**
 * The controller's policies folder. Contract:
 * - `start()` fails with PoliciesDirError when the folder is missing, then loads it and
 *   watches it; a later change reloads it (debounced, serialized).
 * - A load with no errors is accepted: policies whose content revision changed get a new
 *   stored revision (generation + 1), vanished ones are marked removed, and listeners hear
 *   of it when anything in force changed (revisions or the inventory text).
 * - A load with any error is rejected whole: every error is logged (warn,
 *   `file:line:col: path: message`) and stored with the attempt; what was in force stays.
 *   When that happens at start, the set in force is rebuilt from the stored revisions.
 */
export class PolicyRepository {
  private set: PolicySet = { policies: [], inventory: emptyInventory() };
  private inventorySource: string | null = null;
  private readonly listeners = new Set<(change: PolicyChange) => unknown>();
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: FolderWatch | undefined;
  private readonly now: () => number;

  constructor(private readonly options: PolicyRepositoryOptions) {
    this.now = options.now ?? Date.now;
  }

  get dir(): string {
    return this.options.dir;
  }

  get store(): PolicyStore {
    return this.options.store;
  }

  async start(): Promise<void> {
    await assertPoliciesDir(this.options.dir);
    this.inventorySource = (await this.options.store.lastAcceptedLoad())?.inventorySource ?? null;
    const outcome = await this.reload();
    if (!outcome.accepted) await this.restoreFromStore();
    if (this.options.watch === false) return;
    this.watcher = watchPolicyFolder(
      this.options.dir,
      this.options.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS,
      () => void this.reload(),
      (err) =>
        this.options.log.error(
          { dir: this.options.dir, err: describeError(err) },
          "watching the policies folder failed",
        ),
    );
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
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
   * Calls `listener` after each accepted load that changed what is in force; returns an
   * unsubscribe. Listeners run one after the other, in the order added: one that returns a
   * Promise is awaited before the next runs (the rollout runner creates its rollout before
   * the bundles are computed and sent).
   */
  onChange(listener: (change: PolicyChange) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the folder now (after any load in progress). Never throws: failures are rejected loads. */
  reload(): Promise<ReloadOutcome> {
    const next = this.chain.then(() => this.load());
    this.chain = next.catch(() => undefined);
    return next.catch(async (err: unknown): Promise<ReloadOutcome> => {
      const errors = [
        { file: this.options.dir, line: 0, col: 0, path: "", message: `loading failed: ${describeError(err)}` },
      ];
      this.options.log.error(
        { dir: this.options.dir, err: describeError(err) },
        "loading the policies folder failed; the previous revisions stay in force",
      );
      // Recorded like any rejected load, so `policies --json` shows it (not the last accepted load's `errors: []`).
      await this.options.store.recordRejected(errors, [], this.now()).catch(() => undefined);
      return { accepted: false, errors };
    });
  }

  private async load(): Promise<ReloadOutcome> {
    const { store, log, dir } = this.options;
    const read = await readPolicyFolder(dir);
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
      await store.recordRejected(errors, files, now);
      for (const e of errors) log.warn({ dir, file: e.file, line: e.line, col: e.col, path: e.path }, formatIssue(e));
      log.warn({ dir, errors: errors.length }, "policy change rejected; the previous revisions stay in force");
      return { accepted: false, errors };
    }
    const lastGenerations = new Map<string, number>();
    for (const p of result.policies) lastGenerations.set(p.name, await store.lastGeneration(p.name));
    const plan = planRevisions(await this.revisions(), result.policies, (p) => lastGenerations.get(p) ?? 0);
    const texts = new Map(read.sources.map((s) => [s.file, s.text]));
    const sources = new Map(
      plan.created.map(({ policy }) => [policy.name, documentSource(texts.get(policy.file) ?? "", policy.revision)]),
    );
    const inventory = inventorySourceOf(read.sources);
    const generations = await store.recordAccepted({ plan, sources, files, inventory, now });
    const inventoryChanged = (inventory?.source ?? null) !== this.inventorySource;
    this.set = { policies: result.policies, inventory: result.inventory };
    this.inventorySource = inventory?.source ?? null;
    const change: PolicyChange = {
      created: plan.created.map((c) => c.policy.name),
      removed: plan.removed,
      inventoryChanged,
    };
    if (change.created.length === 0 && change.removed.length === 0 && !inventoryChanged) {
      log.debug({ dir }, "policies folder reloaded; nothing changed");
      return { accepted: true, change: null };
    }
    log.info(
      {
        dir,
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
    for (const l of this.listeners) {
      try {
        await l(change);
      } catch (err) {
        log.error({ err: describeError(err) }, "policy change listener failed");
      }
    }
    return { accepted: true, change };
  }

  /** Rebuilds the set in force from the stored revisions and the last accepted inventory. */
  private async restoreFromStore(): Promise<void> {
    const { store, log } = this.options;
    const rows = await store.inForce();
    const inv = await store.lastAcceptedLoad();
    const sources: PolicySource[] = rows.map((r) => ({ file: r.file, text: r.source }));
    if (inv?.inventoryFile && inv.inventorySource !== null)
      sources.unshift({ file: inv.inventoryFile, text: inv.inventorySource });
    const result = loadPolicySources(sources, { resolveInventoryHosts: false });
    for (const e of result.errors) log.error({ file: e.file }, `restoring a stored revision failed: ${formatIssue(e)}`);
    this.set = { policies: result.policies, inventory: result.inventory };
    log.warn(
      { policies: result.policies.map((p) => p.name) },
      "the policies folder is invalid; enforcing the stored revisions",
    );
  }
}

function inventorySourceOf(sources: readonly PolicySource[]): { file: string; source: string } | null {
  const inv = sources.find((s) => isInventoryFile(s.file));
  return inv ? { file: inv.file, source: inv.text } : null;
}
