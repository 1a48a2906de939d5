import type { Logger } from "../../common/index.js";
import type { AgentService, StreamRelay } from "../agents/index.js";
import type { AuditLog } from "../audit/index.js";
import type { ComplianceService } from "../compliance/index.js";
import type { HostConditions, HostStore } from "../hosts/index.js";
import type { DriftFeed, EventStore } from "../ingest/index.js";
import type { PolicyRepository } from "../policies/index.js";
import type { RolloutRunner } from "../rollout-runner/index.js";

/**
 * What dashboard routes read and act through: the controller's own services, the same
 * instances the admin API uses (one owner per table; the dashboard never writes SQL of
 * its own to tables it does not own). Built once by controller/controller.ts.
 */
export interface WebDeps {
  hosts: HostStore;
  conditions: HostConditions;
  agents: AgentService;
  policies: PolicyRepository;
  compliance: ComplianceService;
  events: EventStore;
  feed: DriftFeed;
  rollouts: RolloutRunner;
  audit: AuditLog;
  /** Replicas: commands for a host whose stream another replica holds go through it (absent: one controller). */
  relay?: Pick<StreamRelay, "resync">;
  /** Replicas: the leading replica's dashboard URL (rollout commands are taken there); absent or null: unknown. */
  leaderDashboard?: () => Promise<string | null>;
  log: Logger;
}
