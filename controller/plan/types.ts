import type { FieldChange } from "../../common/index.js";

/** How one host answered a plan request. */
export type HostPlanStatus = "planned" | "offline" | "timeout" | "error";

/** One resource the dry-run found out of sync (resources in sync are left out). */
export interface PlannedResource {
  policy: string;
  kind: string;
  name: string;
  /** "create" when it does not exist, "remove" when the policy removes it (state absent), else "change". */
  action: "create" | "change" | "remove" | "failed";
  /** Worst disruption among its changes (domains: whether the guest needs a restart or recreation). */
  disruption: "none" | "live" | "restart" | "recreate";
  changes: FieldChange[];
  error?: string;
}

export interface HostPlan {
  name: string;
  status: HostPlanStatus;
  wouldChange: boolean;
  create: number;
  change: number;
  remove: number;
  /** Guests (domains) whose change needs a restart / a recreation. */
  restart: number;
  recreate: number;
  /** Resources that could not be checked. */
  failed: number;
  resources: PlannedResource[];
  durationMs?: number;
  error?: string;
}

/** `virtfleet plan --json`: the fleet-wide dry-run of one policy revision. */
export interface PlanJson {
  policy: string;
  /** The revision planned (the pending one). */
  revision: string;
  /** The good revision the hosts hold now, when there is one. */
  previousRevision?: string;
  plannedAt: string;
  /** Hosts the revision targets (known to the controller). */
  targets: number;
  summary: {
    hostsPlanned: number;
    hostsChanging: number;
    /** Targets that did not answer (offline, timeout, error). */
    hostsUnanswered: number;
    create: number;
    change: number;
    remove: number;
    guestsRestart: number;
    guestsRecreate: number;
    failed: number;
  };
  hosts: HostPlan[];
}
