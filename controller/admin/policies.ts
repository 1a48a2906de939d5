import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { HostBundleProblems } from "../../generated/proto/fleet/v1/HostBundleProblems.js";
import type { ListPoliciesResponse } from "../../generated/proto/fleet/v1/ListPoliciesResponse.js";
import type { PolicyRecord } from "../../generated/proto/fleet/v1/PolicyRecord.js";
import { describeError, formatIssue, matchTargets, type LoadedPolicy, type Logger } from "../../common/index.js";
import type { HostStore } from "../hosts/index.js";
import { resolvedTargetHost, type PolicyRepository } from "../policies/index.js";

/** At most this many earlier revisions per policy in one ListPolicies answer. */
export const MAX_POLICY_HISTORY = 1_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Which revision of a policy in force a targeted host holds now (RolloutRunner.heldRevision);
 * null = none. Default: every targeted host holds the revision in force.
 */
export type HeldRevision = (policy: LoadedPolicy, host: string) => string | null;

/**
 * The policies in force (sorted by name) with their stored revision, the known hosts each
 * applies to (targeted and holding some revision of it: a new policy whose rollout rolled
 * back applies to none), and up to `history` earlier revisions (newest first); the last load
 * attempt's time, and its errors when it was rejected; hosts whose bundle leaves policies out.
 */
export async function listPolicies(
  repo: PolicyRepository,
  hosts: HostStore,
  history: number,
  hostProblems: () => HostBundleProblems[] | Promise<HostBundleProblems[]> = () => [],
  rolloutState: (policy: string) => string | Promise<string> = () => "",
  held: HeldRevision = (p) => p.revision,
): Promise<ListPoliciesResponse> {
  const { policies, inventory } = repo.current();
  const stored = new Map((await repo.store.inForce()).map((r) => [r.policy, r]));
  const known = (await hosts.list()).map((h) => resolvedTargetHost(h, inventory));
  const limit = Math.min(Math.max(0, history), MAX_POLICY_HISTORY);
  const records: PolicyRecord[] = [];
  for (const p of [...policies].sort((a, b) => a.name.localeCompare(b.name))) {
    {
      const row = stored.get(p.name);
      const earlier =
        limit > 0
          ? (await repo.store.history(p.name, limit + 1))
              .filter((r) => r.generation !== row?.generation)
              .slice(0, limit)
          : [];
      records.push({
        name: p.name,
        revision: p.revision,
        generation: row?.generation ?? 0,
        file: row?.file ?? p.file,
        mode: p.mode,
        priority: p.priority,
        hosts: known.filter((h) => matchTargets(p.targets, h) && held(p, h.name) !== null).map((h) => h.name),
        createdAt: row ? iso(row.createdAt) : "",
        rolloutState: await rolloutState(p.name),
        history: earlier.map((r) => ({ revision: r.revision, generation: r.generation, createdAt: iso(r.createdAt) })),
        description: p.description ?? "",
      });
    }
  }
  const last = await repo.store.lastLoad();
  return {
    policies: records,
    loadedAt: last ? iso(last.loadedAt) : "",
    errors: last && !last.accepted ? last.errors.map(formatIssue) : [],
    policiesDir: repo.dir ?? "",
    hostProblems: await hostProblems(),
  };
}

/** AdminService.ListPolicies; `hostProblems` lists hosts whose bundle leaves policies out. */
export function policyAdminHandlers(
  repo: PolicyRepository,
  hosts: HostStore,
  log: Logger,
  hostProblems?: () => HostBundleProblems[] | Promise<HostBundleProblems[]>,
  rolloutState?: (policy: string) => string | Promise<string>,
  held?: HeldRevision,
): Pick<AdminServiceHandlers, "ListPolicies"> {
  return {
    ListPolicies: async (call, callback) => {
      try {
        callback(null, await listPolicies(repo, hosts, call.request.history, hostProblems, rolloutState, held));
      } catch (err) {
        log.error({ err: describeError(err) }, "listing policies failed");
        callback({ code: grpc.status.INTERNAL, details: `listing policies failed: ${describeError(err)}` });
      }
    },
  };
}
