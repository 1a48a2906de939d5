import type { Queryable } from "../../common/index.js";

/** Whether this replica runs the singleton duties now, and under which fencing epoch. */
export interface LeaderState {
  leader: boolean;
  /** The epoch this replica won (0 for a sole SQLite controller, and while not the leader). */
  epoch: number;
  /** Why the state changed (for the log): "elected", "connection lost: …", "stopped". */
  reason: string;
}

/**
 * Who runs the singleton duties (policy loading, rollouts, snapshots, webhooks, retention).
 * Contract: `onChange` listeners hear every change in order, the first being the state at
 * subscription time; a duty starts when it hears `leader: true` and stops at once when it
 * hears `leader: false`. `fenced(db)` is `db` whose writes are refused (FencedError) unless
 * this replica is the leader of the current epoch: what every duty writes through.
 */
export interface Leadership {
  readonly state: LeaderState;
  onChange(listener: (state: LeaderState) => void): () => void;
  fenced(db: Queryable): Queryable;
  stop(): Promise<void>;
}

/** The one controller on a SQLite store: always the leader (its data folder's lock makes it the only one). */
export class SoleLeader implements Leadership {
  readonly state: LeaderState = { leader: true, epoch: 0, reason: "the only controller (SQLite store)" };

  onChange(listener: (state: LeaderState) => void): () => void {
    listener(this.state);
    return () => undefined;
  }

  fenced(db: Queryable): Queryable {
    return db;
  }

  async stop(): Promise<void> {}
}
