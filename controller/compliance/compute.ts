import type {
  ComplianceReport,
  HostComplianceInput,
  HostComplianceJson,
  PolicyCompliance,
  PolicyStatus,
  ResourceCounts,
} from "./types.js";

type ResourceState = "ok" | "drift" | "failed" | "pendingRestart";

/** Outcomes counted as failed: could not be applied, or refused (blocked: would strand data; conflict: not ours). */
const REFUSED_OR_FAILED: ReadonlySet<string> = new Set(["failed", "blocked", "conflict"]);

/**
 * A reported outcome as compliance counts it: failed → failed; drift and suppressed (held by
 * the flap guard) → drift; pending-restart → pendingRestart; anything else → ok.
 */
function resourceState(outcome: string): ResourceState {
  if (REFUSED_OR_FAILED.has(outcome)) return "failed";
  if (outcome === "drift" || outcome === "suppressed") return "drift";
  if (outcome === "pending-restart") return "pendingRestart";
  return "ok";
}

/**
 * Computes the compliance document. Rules, per host and policy of its current bundle:
 * - `pending`: the host has sent no report yet, or its observed generation is below its
 *   bundle's generation (it has not converged the current bundle);
 * - otherwise `failed` if any resource of the policy is failed, else `drifted` if any is
 *   drifted, else `pending-restart` if any waits for a restart to take its new definition,
 *   else `compliant`.
 * A resource's state is its latest reported outcome (failed/blocked/conflict → failed, drift → drift, ok/
 * changed/skipped → ok), overridden by an unresolved drift event newer than that report
 * (remediation failed → failed; reported/suppressed → drift; repaired → no override).
 * A host is compliant when every policy is (a host without policies is). Fleet percent has
 * one decimal; 100 for an empty fleet.
 */
export function computeCompliance(hosts: readonly HostComplianceInput[], now: number): ComplianceReport {
  const out = hosts.map(hostCompliance);
  const compliant = out.filter((h) => h.compliant).length;
  return {
    generatedAt: new Date(now).toISOString(),
    fleet: {
      hosts: out.length,
      compliant,
      percent: out.length === 0 ? 100 : Math.round((compliant / out.length) * 1000) / 10,
    },
    hosts: out,
  };
}

export function hostCompliance(h: HostComplianceInput): HostComplianceJson {
  const states = new Map<string, Map<string, ResourceState>>();
  const seqOf = new Map<string, number>();
  const setState = (policy: string, key: string, s: ResourceState) => {
    let m = states.get(policy);
    if (!m) states.set(policy, (m = new Map()));
    m.set(key, s);
  };
  for (const r of h.resources) {
    const key = `${r.kind}/${r.name}`;
    seqOf.set(key, r.eventSeq);
    setState(r.policy, key, resourceState(r.outcome));
  }
  for (const d of h.openDrift) {
    const key = `${d.kind}/${d.name}`;
    if (d.eventSeq <= (seqOf.get(key) ?? 0) || d.remediation === "repaired") continue;
    const current = states.get(d.policy)?.get(key);
    const next: ResourceState = d.remediation === "failed" ? "failed" : "drift";
    if (current !== "failed") setState(d.policy, key, next);
  }
  const behind = h.lastReportAt === null || (h.bundle !== null && h.observedGeneration < h.bundle.generation);
  const policies = (h.bundle?.policies ?? []).map((p): PolicyCompliance => {
    const counts: ResourceCounts = { ok: 0, drift: 0, failed: 0, pendingRestart: 0 };
    for (const s of states.get(p.name)?.values() ?? []) counts[s] += 1;
    const status: PolicyStatus = behind
      ? "pending"
      : counts.failed > 0
        ? "failed"
        : counts.drift > 0
          ? "drifted"
          : counts.pendingRestart > 0
            ? "pending-restart"
            : "compliant";
    const observed = h.observedPolicies.get(p.name);
    return {
      name: p.name,
      revision: p.revision,
      ...(observed !== undefined ? { observedRevision: observed } : {}),
      status,
      resources: counts,
    };
  });
  return {
    name: h.name,
    compliant: policies.every((p) => p.status === "compliant"),
    connected: h.connected,
    generation: h.bundle?.generation ?? 0,
    observedGeneration: h.observedGeneration,
    ...(h.lastReportAt !== null ? { lastReportAt: new Date(h.lastReportAt).toISOString() } : {}),
    policies,
  };
}

/** The `compliance` summary of a host in `hosts --json`: drifted counts drifted or failed policies. */
export function hostSummary(h: HostComplianceJson): { compliant: boolean; policies: number; drifted: number } {
  return {
    compliant: h.compliant,
    policies: h.policies.length,
    drifted: h.policies.filter((p) => p.status === "drifted" || p.status === "failed").length,
  };
}

/** Policy statuses from worst to best: a host's status is the worst of its policies'. */
const STATUS_ORDER: readonly PolicyStatus[] = ["failed", "drifted", "pending", "pending-restart", "compliant"];

/**
 * A host's one compliance status for fleet counts (metrics, dashboard): the worst status of
 * its policies (failed, drifted, pending, pending-restart, compliant; a host without policies
 * is compliant); a host whose latest events could not be stored (`unknownReason`) is pending.
 */
export function hostStatus(h: HostComplianceJson): PolicyStatus {
  if (h.unknownReason) return "pending";
  let worst = STATUS_ORDER.length - 1;
  for (const p of h.policies) worst = Math.min(worst, STATUS_ORDER.indexOf(p.status));
  return STATUS_ORDER[worst]!;
}
