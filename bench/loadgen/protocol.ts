import type { AgentStats } from "./simulated-agent.js";

/** Messages between the fleet benchmark (parent) and its load generator workers (IPC). */

export interface WorkerInit {
  type: "init";
  /** The controller's address, or several replicas' separated by commas (each agent spreads and fails over: targets.ts). */
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

/** A worker's counters (pushed every STATS_EVERY_MS): its agents' AgentStats with the maps as records. */
export type WorkerStats = { type: "stats"; agents: number; ready: boolean; rssBytes: number } & Omit<
  AgentStats,
  "failuresByReason" | "bundles"
> & {
    failuresByReason: Record<string, number>;
    bundles: Record<string, { count: number; lastAt: number }>;
  };

export const STATS_EVERY_MS = 100;
