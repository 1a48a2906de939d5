import { batchHostCount, ValidationError, type RolloutSettings } from "../../common/index.js";
import {
  DEFAULT_ROLLOUT_OPTIONS,
  type Rollout,
  type RolloutHost,
  type RolloutOptions,
  type RolloutStage,
} from "./types.js";

export interface NewRollout {
  /** Unique across the store; e.g. `${policy}@${generation}`. */
  id: string;
  policy: string;
  /** The policy generation of `toRevision` (default 0 = unknown). */
  policyGeneration?: number;
  /** The last good revision (null = the policy is new: hosts outside a started stage hold none). */
  fromRevision: string | null;
  toRevision: string;
  settings: RolloutSettings;
  /** Targeted hosts at creation (any order, duplicates ignored). */
  targets: readonly string[];
  /** Hosts currently connected; others start offline. Default: all targets online. */
  online?: readonly string[];
  /** Revision each host holds now when it differs from `fromRevision` (e.g. after a superseded rollout: heldRevisions()). */
  held?: Readonly<Record<string, string | null>>;
  options?: Partial<RolloutOptions>;
  now: number;
}

/**
 * Splits sorted `hosts` into stages: 0 = plan (no hosts), 1 = canary (the first `canary`
 * hosts by name among those `online` — a canary that cannot take the revision tells nothing —
 * then offline ones if too few are online; left out when canary is 0), then batches of
 * batchHostCount(settings, hosts.length) of the others, sorted. The batch size is taken from
 * ALL targets (canary included), percentages round up, at least 1: 25% of 4 = 1, 25% of 10 = 3.
 * Without `online` every host counts as online.
 */
export function planStages(
  settings: RolloutSettings,
  hosts: readonly string[],
  online?: ReadonlySet<string>,
): RolloutStage[] {
  const byName = [...new Set(hosts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const want = Math.min(settings.canary, byName.length);
  const up = online ? byName.filter((h) => online.has(h)) : byName;
  const picked = new Set(up.slice(0, want));
  for (const h of byName) if (picked.size < want) picked.add(h);
  const canaries = byName.filter((h) => picked.has(h));
  const sorted = [...canaries, ...byName.filter((h) => !picked.has(h))];
  const stage = (index: number, kind: RolloutStage["kind"], names: string[]): RolloutStage => ({
    index,
    kind,
    hosts: names,
    state: "pending",
    startedAt: null,
    finishedAt: null,
    soakUntil: null,
  });
  const stages = [stage(0, "plan", [])];
  const canary = Math.min(settings.canary, sorted.length);
  if (canary > 0) stages.push(stage(stages.length, "canary", sorted.slice(0, canary)));
  const size = batchHostCount(settings, sorted.length);
  for (let i = canary; i < sorted.length; i += size)
    stages.push(stage(stages.length, "batch", sorted.slice(i, i + size)));
  return stages;
}

function checkOptions(o: RolloutOptions): RolloutOptions {
  if (!Number.isFinite(o.offlineTimeoutMs) || o.offlineTimeoutMs < 0)
    throw new ValidationError(`rollout offlineTimeoutMs must be a non-negative number, got ${o.offlineTimeoutMs}`);
  if (o.offlineHosts !== "failed" && o.offlineHosts !== "skipped")
    throw new ValidationError(`rollout offlineHosts must be "failed" or "skipped", got ${String(o.offlineHosts)}`);
  return { offlineTimeoutMs: o.offlineTimeoutMs, offlineHosts: o.offlineHosts };
}

/** A new rollout in state `pending`; nothing is sent until the `start` event. */
export function createRollout(input: NewRollout): Rollout {
  if (input.fromRevision === input.toRevision)
    throw new ValidationError(`rollout of ${input.policy}: from and to are the same revision ${input.toRevision}`);
  const options = checkOptions({ ...DEFAULT_ROLLOUT_OPTIONS, ...input.options });
  const online = input.online ? new Set(input.online) : null;
  const stages = planStages(input.settings, input.targets, online ?? undefined);
  const hosts: Record<string, RolloutHost> = {};
  for (const s of stages) {
    for (const name of s.hosts) {
      hosts[name] = {
        name,
        stage: s.index,
        phase: "pending",
        online: online ? online.has(name) : true,
        baseline: input.held && name in input.held ? (input.held[name] ?? null) : input.fromRevision,
        receivedNew: false,
        expectGeneration: null,
        offlineSince: null,
        failedAt: null,
        reason: null,
      };
    }
  }
  return {
    id: input.id,
    policy: input.policy,
    policyGeneration: input.policyGeneration ?? 0,
    fromRevision: input.fromRevision,
    toRevision: input.toRevision,
    settings: structuredClone(input.settings),
    options,
    state: "pending",
    stages,
    hosts,
    lateHosts: [],
    acceptedFailures: 0,
    plan: null,
    rollback: null,
    reason: null,
    createdAt: input.now,
    startedAt: null,
    finishedAt: null,
    updatedAt: input.now,
  };
}
