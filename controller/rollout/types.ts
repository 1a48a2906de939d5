import type { RolloutSettings } from "../../common/index.js";

/**
 * `toRevision` of a removal rollout (the policy's file was deleted): hosts that reached it
 * hold no revision of the policy. Revisions are content hashes, so this never collides.
 */
export const POLICY_REMOVED = "removed";

/** Rollout states (spec/cli.md). Terminal: succeeded, failed, rolledback, aborted. */
export type RolloutState = "pending" | "running" | "paused" | "succeeded" | "failed" | "rolledback" | "aborted";
/** `aborted`: the stage was in progress (waiting or soaking) when the rollout was aborted or superseded. */
export type StageState = "pending" | "waiting" | "soaking" | "succeeded" | "failed" | "skipped" | "aborted";
export type StageKind = "plan" | "canary" | "batch";

/**
 * A participant's progress. Forward: pending → (offline) → sent → converged | failed | skipped.
 * Rollback (only hosts that were sent the new revision): rollback-sent → rolledback | rollback-failed.
 */
export type HostPhase =
  | "pending"
  | "offline"
  | "sent"
  | "converged"
  | "failed"
  | "skipped"
  | "rollback-sent"
  | "rolledback"
  | "rollback-failed";

/** What happens to a host still offline `offlineTimeoutMs` after its stage needed it. */
export type OfflineOutcome = "failed" | "skipped";

/** Engine options, fixed per rollout at creation (stored with it). */
export interface RolloutOptions {
  offlineTimeoutMs: number;
  offlineHosts: OfflineOutcome;
}

/** Default: wait 10 minutes for an offline host, then count it as failed (like an unreachable host in Ansible). */
export const DEFAULT_ROLLOUT_OPTIONS: RolloutOptions = Object.freeze({
  offlineTimeoutMs: 600_000,
  offlineHosts: "failed",
});

export interface RolloutStage {
  index: number;
  kind: StageKind;
  /** Sorted host names; empty for the plan stage. */
  hosts: string[];
  state: StageState;
  startedAt: number | null;
  finishedAt: number | null;
  /** Set while soaking: when the soak ends. */
  soakUntil: number | null;
}

export interface RolloutHost {
  name: string;
  /** Index of the stage that carries this host. */
  stage: number;
  phase: HostPhase;
  online: boolean;
  /** The revision of the policy this host held when the rollout started (null = none). */
  baseline: string | null;
  /** True once the new revision was sent (sendRevision effect): from then on it may hold it. */
  receivedNew: boolean;
  /** Bundle generation that carries the revision the host must now hold (from `delivered`); null = not yet delivered. */
  expectGeneration: number | null;
  /** When the host's stage needed it while it was offline. */
  offlineSince: number | null;
  failedAt: number | null;
  reason: string | null;
}

export interface RolloutRollback {
  by: "operator" | "failure";
  startedAt: number;
  finishedAt: number | null;
}

/**
 * A rollout of one policy from `fromRevision` (the last good revision; null = the policy is
 * new) to `toRevision`. Plain JSON data: it round-trips through JSON.stringify/parse exactly.
 * Times are ms since the epoch.
 */
export interface Rollout {
  id: string;
  policy: string;
  /** The policy generation of `toRevision` (a revision that comes back later is a new generation); 0 = unknown. */
  policyGeneration: number;
  fromRevision: string | null;
  toRevision: string;
  settings: RolloutSettings;
  options: RolloutOptions;
  state: RolloutState;
  stages: RolloutStage[];
  /** Participants (the targets at creation), by name. */
  hosts: Record<string, RolloutHost>;
  /** Hosts that enrolled after the rollout was created: they hold the good revision, outside the stages. */
  lateHosts: string[];
  /** Forward failures the operator accepted by resuming after a failure pause. */
  acceptedFailures: number;
  /** Stage 0's result as recorded (opaque JSON), null when skipped or not yet recorded. */
  plan: unknown;
  rollback: RolloutRollback | null;
  /** Why the rollout paused, failed, was aborted or rolled back. */
  reason: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** Inputs. `at`/`now` is the event time (ms since the epoch). */
export type RolloutEvent =
  | { type: "start"; now: number }
  | { type: "planRecorded"; result: unknown; at: number }
  | { type: "planSkipped"; at: number }
  /** The wiring sent `host` a bundle with the revision revisionFor() named, as bundle `generation`. */
  | { type: "delivered"; host: string; generation: number; at: number }
  /**
   * `host` reported observedGeneration = `generation` with this outcome: `converged` for a
   * forward stage (every resource converged), `returned` for a host rolling back (nothing
   * failed outright; default `converged`), since a guest may keep waiting for a restart.
   */
  | {
      type: "hostObserved";
      host: string;
      generation: number;
      converged: "ok" | "failed";
      at: number;
      reason?: string;
      returned?: { converged: "ok" | "failed"; reason?: string };
    }
  | { type: "hostDrift"; host: string; at: number; reason?: string }
  | { type: "hostFailure"; host: string; at: number; reason?: string }
  | { type: "hostOnline"; host: string; at: number }
  | { type: "hostOffline"; host: string; at: number }
  | { type: "hostEnrolled"; host: string; online: boolean; at: number }
  /** `virtfleet host remove`: the host leaves the rollout (its stages, hosts and late hosts). */
  | { type: "hostRemoved"; host: string; at: number }
  | { type: "tick"; now: number }
  | { type: "pause"; at: number; reason?: string }
  | { type: "resume"; at: number }
  | { type: "abort"; at: number; reason?: string }
  | { type: "rollback"; at: number; reason?: string }
  | { type: "supersede"; byRevision: string; at: number };

/** Outputs the wiring performs, in order. */
export type RolloutEffect =
  | { type: "sendRevision"; host: string; revision: string }
  | { type: "rollbackHost"; host: string; previousRevision: string | null }
  | { type: "stageStarted"; stage: number; kind: StageKind; hosts: string[] }
  | { type: "stageSucceeded"; stage: number }
  | { type: "rolloutFailed"; reason: string }
  | { type: "log"; level: "info" | "warn"; message: string; host?: string; stage?: number };

export interface StepResult {
  rollout: Rollout;
  effects: RolloutEffect[];
}
