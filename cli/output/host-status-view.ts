import type { GetHostResponse__Output } from "../../generated/proto/fleet/v1/GetHostResponse.js";
import { wireChangesToJson } from "../../common/wire/outcomes.js";
import { formatLabels } from "./apply-view.js";
import { renderTable } from "./table.js";

/** The compliance part of `host NAME --json`. */
export interface HostStatusJson {
  generation: number;
  observedGeneration: number;
  lastReportAt: string | null;
  policies: {
    name: string;
    revision: string;
    observedRevision?: string;
    status: string;
    resources: { ok: number; drift: number; failed: number };
  }[];
  resources: {
    policy: string;
    kind: string;
    name: string;
    outcome: string;
    error?: string;
    pendingRestart: boolean;
    updatedAt: string;
    changes: unknown[];
    /** A domain's labels, when it has some. */
    labels?: Record<string, string>;
  }[];
}

export function hostStatusToJson(res: GetHostResponse__Output): HostStatusJson {
  return {
    generation: res.generation,
    observedGeneration: res.observedGeneration,
    lastReportAt: res.lastReportAt || null,
    policies: res.policies.map((p) => ({
      name: p.name,
      revision: p.revision,
      ...(p.observedRevision ? { observedRevision: p.observedRevision } : {}),
      status: p.status,
      resources: { ok: p.ok, drift: p.drift, failed: p.failed },
    })),
    resources: res.resources.map((r) => ({
      policy: r.policy,
      kind: r.kind,
      name: r.name,
      outcome: r.outcome,
      ...(r.error ? { error: r.error } : {}),
      pendingRestart: r.pendingRestart,
      updatedAt: r.updatedAt,
      changes: wireChangesToJson(r.changes),
      ...(r.labels && Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}),
    })),
  };
}

/** Human view: bundle generations, policies with status, last outcome per resource. */
export function renderHostStatus(s: HostStatusJson): string {
  const out: string[] = [];
  out.push(
    `${"Bundle:".padEnd(16)} generation ${s.generation || "-"}, converged ${s.observedGeneration || "-"}; last report ${s.lastReportAt ?? "never"}`,
  );
  if (s.policies.length > 0) {
    out.push("", "Policies:");
    out.push(
      renderTable(
        ["POLICY", "STATUS", "REVISION", "OBSERVED", "OK", "DRIFT", "FAILED"],
        s.policies.map((p) => [
          p.name,
          p.status,
          p.revision.slice(0, 12),
          (p.observedRevision ?? "").slice(0, 12),
          p.resources.ok,
          p.resources.drift,
          p.resources.failed,
        ]),
      ).trimEnd(),
    );
  }
  if (s.resources.length > 0) {
    out.push("", "Last outcomes:");
    out.push(
      renderTable(
        ["POLICY", "RESOURCE", "OUTCOME", "UPDATED", "NOTE"],
        s.resources.map((r) => [
          r.policy,
          `${r.kind}/${r.name}${r.labels ? ` {${formatLabels(r.labels)}}` : ""}`,
          r.outcome,
          r.updatedAt,
          r.error ?? (r.pendingRestart ? "pending restart" : ""),
        ]),
      ).trimEnd(),
    );
  }
  return out.join("\n") + "\n";
}
