/** Messages between the fleet benchmark (parent) and its load generator workers (IPC). */

export interface WorkerInit {
  type: "init";
  target: string;
  /** mTLS: the controller CA (PEM) and the identities file with agents [from, to). */
  tls?: { caPem: string; identitiesFile: string };
  from: number;
  to: number;
  welcomeTimeoutMs: number;
}

export type ToWorker =
  | WorkerInit
  | { type: "connect" }
  /** Drift events at `perSecond` (this worker's share) for `seconds`. */
  | { type: "drift"; perSecond: number; seconds: number }
  | { type: "stop" };

/** A worker's counters (pushed every STATS_EVERY_MS and on request). */
export interface WorkerStats {
  type: "stats";
  agents: number;
  ready: boolean;
  connected: number;
  attempts: number;
  failedAttempts: number;
  deferredAttempts: number;
  failuresByReason: Record<string, number>;
  lastWelcomeAt: number;
  bundles: Record<string, { count: number; lastAt: number }>;
  plansAnswered: number;
  eventsSent: number;
  eventsAcked: number;
  firstEventAt: number;
  lastAckAt: number;
  rssBytes: number;
}

export const STATS_EVERY_MS = 100;
