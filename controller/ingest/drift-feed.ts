import type { DriftView } from "../agent-messages/index.js";

export type DriftListener = (drift: DriftView) => void;

/**
 * In-process fan-out of stored drift events (new and updated) to watchers. A listener sees
 * only events published after it subscribed; a listener that throws is removed.
 */
export class DriftFeed {
  private readonly listeners = new Set<{ host?: string; fn: DriftListener }>();

  /** Subscribes to events of `host` (all hosts when undefined); returns the unsubscribe. */
  subscribe(host: string | undefined, fn: DriftListener): () => void {
    const entry = { host, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(drifts: readonly DriftView[]): void {
    for (const d of drifts) {
      for (const l of [...this.listeners]) {
        if (l.host !== undefined && l.host !== d.host) continue;
        try {
          l.fn(d);
        } catch {
          this.listeners.delete(l);
        }
      }
    }
  }
}
