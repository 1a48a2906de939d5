import type { AlertsDocument, AlertsDocument__Output } from "../../generated/proto/fleet/v1/AlertsDocument.js";
import type {
  ComplianceDocument,
  ComplianceDocument__Output,
} from "../../generated/proto/fleet/v1/ComplianceDocument.js";
import type { HostPlanDocument, HostPlanDocument__Output } from "../../generated/proto/fleet/v1/HostPlanDocument.js";
import type { PlanDocument, PlanDocument__Output } from "../../generated/proto/fleet/v1/PlanDocument.js";
import type { PlanRolloutDocument__Output } from "../../generated/proto/fleet/v1/PlanRolloutDocument.js";
import type { RolloutDocument, RolloutDocument__Output } from "../../generated/proto/fleet/v1/RolloutDocument.js";
import type { FieldChange } from "../changes.js";
import { ProtocolError } from "../errors.js";
import { encodeFieldChange } from "./changes.js";
import { wireChangesToJson } from "./outcomes.js";

/**
 * The admin API's documents — `plan --json`, `rollout status --json`, `compliance --json`
 * (spec/cli.md) — as typed messages (admin.proto PlanDocument, RolloutDocument,
 * ComplianceDocument). This module owns each document's TypeScript type, the controller's
 * encoder and the CLI's decoder, so the JSON the CLI prints is the document the controller
 * built, key for key (optional keys absent when unset, keys in the order the controller's
 * builders use). The previous release's controller sent the documents as JSON text; the CLI
 * reads that for one release (`…FromResponse`).
 */

// ---- plan ----

/** How one host answered a plan request. */
export type HostPlanStatus = "planned" | "offline" | "timeout" | "error";

/** One resource the dry-run found out of sync (resources in sync are left out). */
export interface PlannedResource {
  policy: string;
  kind: string;
  name: string;
  /**
   * "create" when it does not exist, "remove" when the policy removes it (state absent), else
   * "change"; "failed" when it could not be checked, "blocked"/"conflict" when the agent refuses
   * the change (would destroy or strand data / an object virtfleet does not own), with `error`;
   * "unmanage" in the plan of a removed policy: left in place, no longer managed.
   */
  action: "create" | "change" | "remove" | "failed" | "blocked" | "conflict" | "unmanage";
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
  /** Resources that could not be checked, or whose change is refused (blocked, conflict). */
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
  /**
   * The policy's rollout of this revision, when there is one. Once it ended (succeeded), the
   * hosts hold the revision: the dry-run shows what differs now, and `planSummary` what the
   * rollout's own plan (stage 0) found before it changed them.
   */
  rollout?: PlanRolloutJson;
}

export interface PlanRolloutJson {
  id: string;
  state: string;
  finishedAt?: string;
  planSummary?: PlanJson["summary"];
}

export function encodePlan(p: PlanJson): PlanDocument {
  return {
    policy: p.policy,
    revision: p.revision,
    ...(p.previousRevision !== undefined ? { previousRevision: p.previousRevision } : {}),
    plannedAt: p.plannedAt,
    targets: p.targets,
    summary: { ...p.summary },
    hosts: (p.hosts ?? []).map(encodeHostPlan),
    ...(p.rollout
      ? { rollout: { ...p.rollout, ...(p.rollout.planSummary ? { planSummary: { ...p.rollout.planSummary } } : {}) } }
      : {}),
  };
}

function encodeHostPlan(h: HostPlan): HostPlanDocument {
  return {
    name: h.name,
    status: h.status,
    wouldChange: h.wouldChange,
    create: h.create,
    change: h.change,
    remove: h.remove,
    restart: h.restart,
    recreate: h.recreate,
    failed: h.failed,
    resources: (h.resources ?? []).map((r) => ({
      policy: r.policy,
      kind: r.kind,
      name: r.name,
      action: r.action,
      disruption: r.disruption,
      changes: (r.changes ?? []).map(encodeFieldChange),
      ...(r.error !== undefined ? { error: r.error } : {}),
    })),
    ...(h.durationMs !== undefined ? { durationMs: h.durationMs } : {}),
    ...(h.error !== undefined ? { error: h.error } : {}),
  };
}

/** The `plan --json` document of a received PlanDocument (key order as controller/plan/aggregate.ts builds it). */
export function decodePlan(d: PlanDocument__Output): PlanJson {
  const s = d.summary;
  const plan: PlanJson = {
    policy: d.policy,
    revision: d.revision,
    plannedAt: d.plannedAt,
    targets: d.targets,
    summary: {
      hostsPlanned: s?.hostsPlanned ?? 0,
      hostsChanging: s?.hostsChanging ?? 0,
      hostsUnanswered: s?.hostsUnanswered ?? 0,
      create: s?.create ?? 0,
      change: s?.change ?? 0,
      remove: s?.remove ?? 0,
      guestsRestart: s?.guestsRestart ?? 0,
      guestsRecreate: s?.guestsRecreate ?? 0,
      failed: s?.failed ?? 0,
    },
    hosts: d.hosts.map(decodeHostPlan),
  };
  if (d.previousRevision !== undefined) plan.previousRevision = d.previousRevision;
  if (d.rollout) plan.rollout = decodePlanRollout(d.rollout);
  return plan;
}

function decodePlanRollout(d: PlanRolloutDocument__Output): PlanRolloutJson {
  const out: PlanRolloutJson = { id: d.id, state: d.state };
  if (d.finishedAt !== undefined) out.finishedAt = d.finishedAt;
  const s = d.planSummary;
  if (s)
    out.planSummary = {
      hostsPlanned: s.hostsPlanned,
      hostsChanging: s.hostsChanging,
      hostsUnanswered: s.hostsUnanswered,
      create: s.create,
      change: s.change,
      remove: s.remove,
      guestsRestart: s.guestsRestart,
      guestsRecreate: s.guestsRecreate,
      failed: s.failed,
    };
  return out;
}

function decodeHostPlan(h: HostPlanDocument__Output): HostPlan {
  const plan: HostPlan = {
    name: h.name,
    status: h.status as HostPlanStatus,
    wouldChange: h.wouldChange,
    create: h.create,
    change: h.change,
    remove: h.remove,
    restart: h.restart,
    recreate: h.recreate,
    failed: h.failed,
    resources: h.resources.map((r) => ({
      policy: r.policy,
      kind: r.kind,
      name: r.name,
      disruption: r.disruption as PlannedResource["disruption"],
      changes: wireChangesToJson(r.changes),
      action: r.action as PlannedResource["action"],
      ...(r.error !== undefined ? { error: r.error } : {}),
    })),
  };
  if (h.error !== undefined) plan.error = h.error;
  if (h.durationMs !== undefined) plan.durationMs = h.durationMs;
  return plan;
}

// ---- rollout status ----

export interface RolloutStageJson {
  index: number;
  /** "plan" | "canary" | "batch" */
  kind: string;
  hosts: string[];
  state: string;
  startedAt?: string;
  finishedAt?: string;
  soakUntil?: string;
}

/** `rollout status --json` (spec/cli.md); keys beyond the spec's minimum are extras. */
export interface RolloutStatusJson {
  policy: string;
  id: string;
  revision: string;
  previousRevision?: string;
  /** "pending" | "running" | "paused" | "succeeded" | "failed" | "rolledback" | "aborted" */
  state: string;
  /** True while state is failed and the rollback is still converging hosts. */
  rollingBack: boolean;
  reason?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  stages: RolloutStageJson[];
  failedHosts: string[];
  hosts: { name: string; stage: number; phase: string; online: boolean; reason?: string }[];
  lateHosts: string[];
  /**
   * Stage 0's result (the fleet dry-run, a `plan --json` document) once recorded. Typed on the
   * wire (PlanDocument); `unknown` here because documents of the previous release (JSON text)
   * carry it unchecked, so readers check its shape (cli/output/rollout-view.ts does).
   */
  plan?: unknown;
}

const opt = <K extends string, V>(key: K, v: V | undefined | null): { [k in K]?: V } =>
  (v === undefined || v === null ? {} : { [key]: v }) as { [k in K]?: V };

export function encodeRolloutStatus(r: RolloutStatusJson): RolloutDocument {
  return {
    policy: r.policy,
    id: r.id,
    revision: r.revision,
    ...opt("previousRevision", r.previousRevision),
    state: r.state,
    rollingBack: r.rollingBack,
    ...opt("reason", r.reason),
    createdAt: r.createdAt,
    ...opt("startedAt", r.startedAt),
    ...opt("finishedAt", r.finishedAt),
    stages: r.stages.map((s) => ({
      index: s.index,
      kind: s.kind,
      hosts: [...s.hosts],
      state: s.state,
      ...opt("startedAt", s.startedAt),
      ...opt("finishedAt", s.finishedAt),
      ...opt("soakUntil", s.soakUntil),
    })),
    failedHosts: [...r.failedHosts],
    hosts: r.hosts.map((h) => ({
      name: h.name,
      stage: h.stage,
      phase: h.phase,
      online: h.online,
      ...opt("reason", h.reason),
    })),
    lateHosts: [...r.lateHosts],
    ...(isPlan(r.plan) ? { plan: encodePlan(r.plan) } : {}),
  };
}

/** A stored stage-0 result is a plan document (controller/plan); anything else is left out. */
function isPlan(v: unknown): v is PlanJson {
  return v !== null && typeof v === "object" && typeof (v as { policy?: unknown }).policy === "string";
}

/** The `rollout status --json` document (key order as controller/rollout/status.ts builds it). */
export function decodeRolloutStatus(d: RolloutDocument__Output): RolloutStatusJson {
  const out: RolloutStatusJson = {
    policy: d.policy,
    id: d.id,
    revision: d.revision,
    state: d.state,
    rollingBack: d.rollingBack,
    createdAt: d.createdAt,
    stages: d.stages.map((s) => ({
      index: s.index,
      kind: s.kind,
      hosts: [...s.hosts],
      state: s.state,
      ...opt("startedAt", s.startedAt),
      ...opt("finishedAt", s.finishedAt),
      ...opt("soakUntil", s.soakUntil),
    })),
    failedHosts: [...d.failedHosts],
    hosts: d.hosts.map((h) => ({
      name: h.name,
      stage: h.stage,
      phase: h.phase,
      online: h.online,
      ...opt("reason", h.reason),
    })),
    lateHosts: [...d.lateHosts],
  };
  if (d.previousRevision !== undefined) out.previousRevision = d.previousRevision;
  if (d.reason !== undefined) out.reason = d.reason;
  if (d.startedAt !== undefined) out.startedAt = d.startedAt;
  if (d.finishedAt !== undefined) out.finishedAt = d.finishedAt;
  if (d.plan) out.plan = decodePlan(d.plan);
  return out;
}

// ---- compliance ----

/** `pending-restart`: converged in the definition; a running guest or network waits for a restart to take it. */
export type PolicyStatus = "compliant" | "drifted" | "failed" | "pending" | "pending-restart";

export interface ResourceCounts {
  ok: number;
  drift: number;
  failed: number;
  /** Resources whose definition is applied but whose running object keeps the old one until it restarts. */
  pendingRestart: number;
}

/** One policy on one host in `compliance --json` (spec/cli.md). */
export interface PolicyCompliance {
  name: string;
  /** The policy revision in the host's current bundle. */
  revision: string;
  /** The policy revision the host last converged, when known. */
  observedRevision?: string;
  status: PolicyStatus;
  resources: ResourceCounts;
}

export interface HostComplianceJson {
  name: string;
  compliant: boolean;
  connected: boolean;
  /** Bundle generation the controller assigned and the one the host last converged. */
  generation: number;
  observedGeneration: number;
  lastReportAt?: string;
  policies: PolicyCompliance[];
  /** Set when compliance is unknown (`compliant` is then false): why. */
  unknownReason?: string;
}

/** Webhook delivery health (the `alerts` block of `compliance --json`). */
export interface AlertsStatus {
  /** Configured webhook URLs, userinfo and query redacted. */
  webhooks: string[];
  /** Deliveries not yet made (waiting or retrying). */
  pending: number;
  /** Pending deliveries whose last attempt failed. */
  failing: number;
  /** Deliveries given up after the retry budget. */
  abandoned: number;
  /** The most recent delivery error, or null. */
  lastError: string | null;
  lastErrorAt?: string;
}

/** The `virtfleet compliance --json` document. */
export interface ComplianceReport {
  generatedAt: string;
  fleet: { hosts: number; compliant: number; percent: number };
  hosts: HostComplianceJson[];
  alerts?: AlertsStatus;
}

export function encodeCompliance(r: ComplianceReport): ComplianceDocument {
  return {
    generatedAt: r.generatedAt,
    fleet: { ...r.fleet },
    hosts: r.hosts.map((h) => ({
      name: h.name,
      compliant: h.compliant,
      connected: h.connected,
      generation: h.generation,
      observedGeneration: h.observedGeneration,
      ...opt("lastReportAt", h.lastReportAt),
      ...opt("unknownReason", h.unknownReason),
      policies: h.policies.map((p) => ({
        name: p.name,
        revision: p.revision,
        ...opt("observedRevision", p.observedRevision),
        status: p.status,
        resources: { ...p.resources },
      })),
    })),
    ...(r.alerts ? { alerts: encodeAlerts(r.alerts) } : {}),
  };
}

function encodeAlerts(a: AlertsStatus): AlertsDocument {
  return {
    webhooks: [...a.webhooks],
    pending: a.pending,
    failing: a.failing,
    abandoned: a.abandoned,
    ...opt("lastError", a.lastError),
    ...opt("lastErrorAt", a.lastErrorAt),
  };
}

/** The `compliance --json` document (key order as controller/compliance/compute.ts builds it). */
export function decodeCompliance(d: ComplianceDocument__Output): ComplianceReport {
  return {
    generatedAt: d.generatedAt,
    fleet: { hosts: d.fleet?.hosts ?? 0, compliant: d.fleet?.compliant ?? 0, percent: d.fleet?.percent ?? 0 },
    hosts: d.hosts.map((h) => ({
      name: h.name,
      compliant: h.compliant,
      connected: h.connected,
      generation: h.generation,
      observedGeneration: h.observedGeneration,
      ...opt("lastReportAt", h.lastReportAt),
      ...opt("unknownReason", h.unknownReason),
      policies: h.policies.map((p) => ({
        name: p.name,
        revision: p.revision,
        ...opt("observedRevision", p.observedRevision),
        status: p.status as PolicyStatus,
        resources: {
          ok: p.resources?.ok ?? 0,
          drift: p.resources?.drift ?? 0,
          failed: p.resources?.failed ?? 0,
          pendingRestart: p.resources?.pendingRestart ?? 0,
        },
      })),
    })),
    ...(d.alerts ? { alerts: decodeAlerts(d.alerts) } : {}),
  };
}

function decodeAlerts(a: AlertsDocument__Output): AlertsStatus {
  return {
    webhooks: [...a.webhooks],
    pending: a.pending,
    failing: a.failing,
    abandoned: a.abandoned,
    lastError: a.lastError ?? null,
    ...opt("lastErrorAt", a.lastErrorAt),
  };
}

// ---- the previous release's JSON documents (read by the CLI for one release) ----

/**
 * The document of a response: the typed message when the controller sent one, else the
 * previous release's JSON text (`legacyJson`), which must be a JSON object. Throws
 * ProtocolError naming `what` when neither is usable.
 */
export function documentOf<D, T>(
  what: string,
  typed: D | null | undefined,
  legacyJson: string,
  decode: (d: D) => T,
): T {
  if (typed) return decode(typed);
  try {
    const doc = JSON.parse(legacyJson) as unknown;
    if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) return doc as T;
  } catch {
    // reported below
  }
  throw new ProtocolError(
    `the controller sent a ${what} document that is not a JSON object (${JSON.stringify(legacyJson.slice(0, 80))})`,
  );
}
