import type { FieldChange } from "../../common/index.js";
import type { HostPlan, PlanJson, PlannedResource } from "../../controller/plan/index.js";
import { displayedChanges, renderFieldChange as fieldChangeLine } from "./change-view.js";
import { renderTable } from "./table.js";

const SHORT_REVISION = 12;
const short = (rev: string | undefined) => (rev === undefined ? "(none)" : rev.slice(0, SHORT_REVISION));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The human `virtfleet plan` view: a headline (policy, previous → pending revision, how many
 * targets answered), a table of the hosts that would change or did not answer, each changing
 * host's resources with their fields, and a summary line.
 */
export function renderPlan(plan: PlanJson): string {
  const s = plan.summary;
  const answered = plan.targets - s.hostsUnanswered;
  const out: string[] = [];
  const removal = plan.revision === "removed";
  const applied = !removal && plan.rollout?.state === "succeeded";
  if (removal) {
    out.push(
      `Plan of ${plan.policy}: removal of revision ${short(plan.previousRevision)} (the policy file was deleted), ${answered} of ${plural(plan.targets, "host")} holding it answered; its resources are left in place, unmanaged\n`,
    );
    if (plan.targets === 0) {
      out.push("No host holds this policy any more: nothing would change.\n");
      return out.join("");
    }
  } else if (applied) {
    // The revision is in force on its hosts: the dry-run shows what differs now, not what the rollout changed.
    const r = plan.rollout!;
    out.push(
      `Plan of ${plan.policy}: revision ${short(plan.revision)} is applied (its rollout from ${short(plan.previousRevision)} succeeded${r.finishedAt ? ` at ${r.finishedAt}` : ""}); checking its hosts now, ${answered} of ${plural(plan.targets, "targeted host")} answered\n`,
    );
    if (r.planSummary)
      out.push(
        `The rollout's plan before it ran: ${renderPlanSummary({ ...plan, summary: r.planSummary })} (virtfleet rollout status ${plan.policy})\n`,
      );
  } else
    out.push(
      `Plan of ${plan.policy}: revision ${short(plan.previousRevision)} → ${short(plan.revision)} (${plan.rollout ? `rollout ${plan.rollout.state}` : "pending"}), ${answered} of ${plural(plan.targets, "targeted host")} answered\n`,
    );
  if (plan.targets === 0) {
    out.push("No host is targeted by this policy: nothing would change.\n");
    return out.join("");
  }
  const shown = plan.hosts.filter((h) => h.wouldChange || h.status !== "planned" || h.failed > 0);
  if (shown.length > 0) {
    out.push("\n");
    out.push(
      renderTable(
        ["HOST", "STATUS", "CREATE", "CHANGE", "REMOVE", "RESTART", "RECREATE"],
        shown.map((h) =>
          h.status === "planned"
            ? [h.name, hostStatus(h), h.create, h.change, h.remove, h.restart, h.recreate]
            : [h.name, h.status, null, null, null, null, null],
        ),
      ),
    );
  }
  for (const h of shown) {
    const details = renderHostDetails(h);
    if (details) out.push(`\n${details}`);
  }
  out.push(
    `\n${applied ? "Now: " : ""}${renderPlanSummary(plan)}${applied && plan.summary.hostsChanging === 0 ? " (every host holds the applied revision)" : ""}\n`,
  );
  return out.join("");
}

function hostStatus(h: HostPlan): string {
  if (h.failed > 0) return `${h.wouldChange ? "changes" : "planned"}, ${h.failed} unchecked`;
  return h.wouldChange ? "changes" : "in sync";
}

/** One host's block: `HOST:` and a line per resource, or why it did not answer. */
export function renderHostDetails(h: HostPlan): string {
  if (h.status !== "planned") return `${h.name}: did not answer (${unanswered(h)})\n`;
  if (h.resources.length === 0) return "";
  return `${h.name}:\n${h.resources.map((r) => renderPlannedResource({ ...r, changes: displayedChanges(r, h.resources) })).join("")}`;
}

function unanswered(h: HostPlan): string {
  switch (h.status) {
    case "offline":
      return "offline: not connected to the controller";
    case "timeout":
      return `no answer in time${h.error ? `: ${h.error}` : ""}`;
    default:
      return `error${h.error ? `: ${h.error}` : ""}`;
  }
}

/**
 * `  domain/web-01: vcpus 1 → 2 (restart)`; several changes go one per line below the
 * resource; creations and removals are one word.
 */
export function renderPlannedResource(r: PlannedResource, indent = "  "): string {
  const id = `${indent}${r.kind}/${r.name}`;
  switch (r.action) {
    case "create":
      return `${id}: create\n`;
    case "remove":
      return `${id}: remove${r.disruption === "restart" || r.disruption === "recreate" ? ` (${r.disruption})` : ""}\n`;
    case "failed":
      return `${id}: could not be checked${r.error ? `: ${r.error}` : ""}\n`;
    case "blocked":
    case "conflict":
      return `${id}: ${r.action}${r.error ? `: ${r.error}` : ""}\n`;
    case "unmanage":
      return r.changes.some((c) => c.field === "state" && c.from === "absent")
        ? `${id}: declared absent; no longer kept absent\n`
        : `${id}: left in place, no longer managed (unmanaged)\n`;
  }
  if (r.changes.length === 0)
    return `${id}: change${r.disruption === "none" || r.disruption === "live" ? "" : ` (${r.disruption})`}\n`;
  if (r.changes.length === 1) return `${id}: ${renderFieldChange(r.changes[0]!)}\n`;
  return `${id}:\n${r.changes.map((c) => `${indent}    ${renderFieldChange(c)}\n`).join("")}`;
}

/** `vcpus 1 → 2 (restart)`, `memory 128 MiB → 1.5 GiB (live)`: cli/output/change-view.ts. */
export function renderFieldChange(c: FieldChange): string {
  return fieldChangeLine(c, " ");
}

/**
 * `3 hosts would change: 2 create, 5 change, 0 remove; 1 guest needs a restart, 0 recreated;
 * 1 host did not answer`.
 */
export function renderPlanSummary(plan: PlanJson): string {
  const s = plan.summary;
  const parts: string[] = [];
  if (s.hostsPlanned === 0 && s.hostsUnanswered === 0) return "no host targeted: nothing would change";
  if (s.hostsChanging === 0) parts.push(s.hostsPlanned === 0 ? "no host answered" : "no host would change");
  else {
    parts.push(
      `${plural(s.hostsChanging, "host")} would change: ${s.create} create, ${s.change} change, ${s.remove} remove`,
    );
    parts.push(
      `${plural(s.guestsRestart, "guest")} ${s.guestsRestart === 1 ? "needs" : "need"} a restart, ${s.guestsRecreate} recreated`,
    );
  }
  if (s.failed > 0) parts.push(`${plural(s.failed, "resource")} could not be checked`);
  parts.push(`${plural(s.hostsUnanswered, "host")} did not answer`);
  return parts.join("; ");
}
