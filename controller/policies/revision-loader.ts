import {
  formatIssue,
  loadPolicySources,
  VirtfleetError,
  type LoadedPolicy,
  type PolicySource,
  type Queryable,
} from "../../common/index.js";
import type { PolicyRepository } from "./repository.js";

/** How many revisions that are not in force are kept parsed. */
const CACHE_LIMIT = 64;

export class PolicyRevisionUnavailableError extends VirtfleetError {
  constructor(
    readonly policy: string,
    readonly revision: string,
    detail: string,
  ) {
    super("POLICY_REVISION_UNAVAILABLE", `revision ${revision} of policy ${policy} cannot be loaded: ${detail}`);
  }
}

/**
 * Any stored revision of a policy as a LoadedPolicy, e.g. the previous good revision a
 * rollout keeps on hosts outside its started stages. The revision in force comes from the
 * repository; others are parsed from their stored source (without re-checking the group
 * and variable names they refer to: they were accepted before) and cached. Throws
 * PolicyRevisionUnavailableError when the revision is not stored or no longer parses.
 */
export class PolicyRevisionLoader {
  /**
   * Parsed revisions by policy and revision, as Promises: callers that ask for one while it is
   * still being read and parsed share that work (a rollout's first bundles ask for the previous
   * revision once per host, all at once: without this every host parsed it again).
   */
  private readonly cache = new Map<string, Promise<LoadedPolicy>>();

  constructor(private readonly repository: PolicyRepository) {}

  /** `on`: the transaction the caller runs in, if any (the revision is read in it). */
  get(policy: string, revision: string, on?: Queryable): Promise<LoadedPolicy> {
    const inForce = this.repository.current().policies.find((p) => p.name === policy);
    if (inForce?.revision === revision) return Promise.resolve(inForce);
    const key = `${policy}\u0000${revision}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const loading = this.load(policy, revision, on);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, loading);
    // a failure is not kept: the next call tries again
    loading.catch(() => {
      if (this.cache.get(key) === loading) this.cache.delete(key);
    });
    return loading;
  }

  private async load(policy: string, revision: string, on?: Queryable): Promise<LoadedPolicy> {
    const row = await this.repository.store.revision(policy, revision, on);
    if (!row) throw new PolicyRevisionUnavailableError(policy, revision, "it is not stored");
    // Without the inventory and its reference checks: the revision was validated when it was
    // accepted, and must stay loadable after the inventory changed (a group it targets may be
    // gone). Bundles resolve it with the current inventory.
    const sources: PolicySource[] = [{ file: row.file, text: row.source }];
    const result = loadPolicySources(sources, { resolveInventoryHosts: false, skipReferenceChecks: true });
    const loaded = result.policies.find((p) => p.name === policy && p.revision === revision);
    if (!loaded) {
      const why =
        result.errors.length > 0
          ? result.errors.map(formatIssue).join("; ")
          : "the stored source holds another revision";
      throw new PolicyRevisionUnavailableError(policy, revision, why);
    }
    return loaded;
  }
}
