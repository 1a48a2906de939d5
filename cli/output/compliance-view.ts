import type { ComplianceReport } from "../../controller/index.js";
import { renderTable } from "./table.js";

/** True when every host of the document is compliant (`compliance` exits 3 otherwise). */
export function allCompliant(r: ComplianceReport): boolean {
  return r.hosts.every((h) => h.compliant);
}

/** The human `compliance` view: one row per host and policy, fleet line, alert delivery health. */
export function renderCompliance(r: ComplianceReport): string {
  const rows: (string | number)[][] = [];
  for (const h of r.hosts) {
    if (h.policies.length === 0) rows.push([h.name, "-", "no policies", "-", "-", "-", "-", "-", "-"]);
    for (const p of h.policies) {
      rows.push([
        h.name,
        p.name,
        p.status,
        short(p.revision),
        short(p.observedRevision ?? ""),
        p.resources.ok,
        p.resources.drift,
        p.resources.failed,
        p.resources.pendingRestart ?? 0,
      ]);
    }
  }
  const out: string[] = [];
  out.push(
    r.hosts.length === 0
      ? "No hosts have connected yet.\n"
      : renderTable(["HOST", "POLICY", "STATUS", "REVISION", "OBSERVED", "OK", "DRIFT", "FAILED", "RESTART"], rows),
  );
  out.push(`Fleet: ${r.fleet.compliant}/${r.fleet.hosts} hosts compliant (${r.fleet.percent}%) at ${r.generatedAt}\n`);
  const a = r.alerts;
  if (a && a.webhooks.length > 0) {
    out.push(
      `Alerts: ${a.webhooks.length} webhook(s), ${a.pending} pending, ${a.failing} failing, ${a.abandoned} abandoned${a.lastError ? `; last error: ${a.lastError}` : ""}\n`,
    );
  }
  return out.join("");
}

function short(rev: string): string {
  return rev.length > 12 ? rev.slice(0, 12) : rev;
}
