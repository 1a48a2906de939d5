import type { PolicyChange } from "../policies/index.js";
import type { ReplicaSignals } from "../replicas/index.js";
import type { Rollout, RolloutStore } from "../rollout/index.js";

/**
 * What the runner (runner.ts) lends FollowerMirror: its role, its promise chain and its
 * in-memory `latest` (each policy's newest rollout).
 */
export interface FollowerMirrorRunner {
  /** Whether the runner mirrors the leader's rollouts now (it does until lead()). */
  following(): boolean;
  /** Appends `work` to the runner's chain (after the work on it); its failure is logged. */
  serial(work: () => Promise<void>): Promise<void>;
  /** Re-reads every newest rollout into `latest`, as the runner's attach() loads them. */
  reloadAll(): Promise<unknown>;
  /** Sets `policy`'s newest rollout in `latest` (undefined: forgets it). */
  setLatest(policy: string, rollout: Rollout | undefined): void;
}

/**
 * A follower's runner's copy of the leader's rollouts (replicas: several controllers on one
 * PostgreSQL; only the leader's runner steps rollouts). The leader's runner publishes
 * `rollout` (ids: policy names) with every save, inside the saving transaction (runner.ts,
 * save()); the follower keeps `latest` as the store has it: re-read on `rollout`, on its
 * policies' change (policiesChanged), all of it on resync, so that the runner's
 * revisionHeldBy / policiesFor / rolledBackFor / rolloutOf / latestRollouts answer as the
 * leader's do. All re-reads run on the runner's chain, and stop once it leads.
 */
export class FollowerMirror {
  /** Policies whose newest rollout is to be re-read. */
  private pending = new Set<string>();
  /** Every rollout is to be re-read. */
  private everything = false;
  private running = false;

  constructor(
    private readonly store: RolloutStore,
    private readonly runner: FollowerMirrorRunner,
  ) {}

  /** Subscribes to `rollout` and resync, acting while the runner follows; returns the unsubscribers. */
  listen(signals: ReplicaSignals): (() => void)[] {
    return [
      signals.subscribe("rollout", (s) => {
        if (this.runner.following() && s.from !== signals.replica) this.reread(s.ids);
      }),
      signals.onResync(() => {
        if (this.runner.following()) this.reread(true);
      }),
    ];
  }

  /**
   * Re-reads the newest rollout of `policies` (true: all of them) from the store, on the
   * runner's chain; names that arrive meanwhile are read in the same pass.
   */
  reread(policies: readonly string[] | true): void {
    if (policies === true) this.everything = true;
    else for (const p of policies) this.pending.add(p);
    if (this.running) return;
    this.running = true;
    void this.runner.serial(async () => {
      try {
        while (this.runner.following() && (this.everything || this.pending.size > 0)) {
          if (this.everything) {
            this.everything = false;
            this.pending.clear();
            await this.runner.reloadAll();
          } else {
            const names = [...this.pending];
            this.pending.clear();
            for (const name of names) await this.rereadOne(name);
          }
        }
      } finally {
        this.running = false;
      }
    });
  }

  /**
   * The follower's repository followed the leader's policy change (the leader stored its
   * rollouts first): re-reads the created and removed policies' rollouts, on the runner's
   * chain; resolves once read.
   */
  policiesChanged(change: PolicyChange): Promise<void> {
    return this.runner.serial(async () => {
      for (const name of [...change.created, ...change.removed]) await this.rereadOne(name);
    });
  }

  /** Drops the re-reads asked for (the runner leads now and re-reads everything itself). */
  forget(): void {
    this.pending.clear();
    this.everything = false;
  }

  /** `policy`'s newest rollout as stored (none: forgotten). */
  private async rereadOne(policy: string): Promise<void> {
    this.runner.setLatest(policy, await this.store.latest(policy));
  }
}
