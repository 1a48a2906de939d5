/**
 * The connection's state, its generation, and the listeners told of each change.
 *
 * Contract: `closed` is final (later changes are ignored); `generation` counts how many
 * times the connection became ready and is reported with every change; a listener that
 * throws does not stop the others nor the connection.
 */
export type ConnectionState = "connecting" | "ready" | "disconnected" | "closed";

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Number of times the connection has become ready so far. */
  generation: number;
  /** Why the connection left `ready` or failed to get there. */
  error?: Error;
}

export class ConnectionStateTracker {
  private current: ConnectionState = "connecting";
  private readyCount = 0;
  private readonly listeners = new Set<(c: StateChange) => void>();

  get state(): ConnectionState {
    return this.current;
  }

  get generation(): number {
    return this.readyCount;
  }

  onChange(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Moves to `ready` as a new generation. */
  ready(): void {
    this.readyCount++;
    this.set("ready");
  }

  set(state: ConnectionState, error?: Error): void {
    const previous = this.current;
    if (previous === "closed") return;
    this.current = state;
    const change: StateChange = { state, previous, generation: this.readyCount, ...(error ? { error } : {}) };
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch {
        // a listener's failure must not break the connection
      }
    }
  }

  removeListeners(): void {
    this.listeners.clear();
  }
}
