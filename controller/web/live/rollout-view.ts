import { hasRole } from "../../auth/index.js";
import {
  activeStage,
  failedHosts,
  isActive,
  isRollingBack,
  type HostPhase,
  type Rollout,
} from "../../rollout/index.js";
import { ROLLOUT_COMMANDS, type RolloutCommand } from "../../rollout-runner/index.js";
import { html, type Html } from "../html.js";
import type { WebSession } from "../route.js";
import { duration, hostHref, rolloutHref, shortRevision, timeCell } from "./format.js";

/** Host names listed per stage; the rest are counted by phase. */
export const MAX_STAGE_HOSTS = 50;
/** Failed hosts listed with their messages; the rest are counted. */
export const MAX_FAILURES_SHOWN = 200;
/** How often the open rollout page refreshes its live part (htmx polling), in seconds. */
export const ROLLOUT_POLL_SECONDS = 1;

/** The state as people read it: "failed, rolling back" while a rollback converges hosts. */
export function stateLabel(r: Rollout): string {
  return isRollingBack(r) ? "failed, rolling back" : r.state;
}

/**
 * The commands the page offers for `r`'s state: a hint for which buttons are enabled. The
 * state machine (controller/rollout step) decides; a command sent from a stale page that no
 * longer applies is refused with its reason.
 */
export function offeredCommands(r: Rollout): Set<RolloutCommand> {
  const out = new Set<RolloutCommand>();
  if (r.state === "running" || r.state === "pending") out.add("pause");
  if (r.state === "paused") out.add("resume");
  if (isActive(r)) out.add("abort");
  if (
    r.state === "pending" ||
    r.state === "running" ||
    r.state === "paused" ||
    r.state === "succeeded" ||
    (r.state === "failed" && r.rollback !== null && !isRollingBack(r))
  )
    out.add("rollback");
  return out;
}

const PHASE_MARK: Record<HostPhase, string> = {
  pending: "…",
  offline: "⌁",
  sent: "→",
  converged: "✓",
  failed: "✗",
  skipped: "−",
  "rollback-sent": "↺",
  rolledback: "↩",
  "rollback-failed": "✗",
};

/** The id of the form the operator buttons submit (it holds the CSRF field and the reason). */
export const CONTROL_FORM_ID = "rollout-control";

/**
 * The operator buttons: one per command, submitting the page's control form to
 * `/rollouts/:policy/<command>`. Rendered disabled for a session below operator (the server
 * refuses the POST anyway) and for commands that do not apply in the rollout's state.
 */
function buttons(r: Rollout, session: WebSession): Html {
  const operator = hasRole(session.role, "operator");
  const offered = offeredCommands(r);
  return html`<div class="rollout-buttons">${ROLLOUT_COMMANDS.map((c) => {
    const enabled = operator && offered.has(c);
    const why = !operator
      ? `needs the operator role (you are ${session.role})`
      : offered.has(c)
        ? `${c} the rollout of ${r.policy}`
        : `not possible while the rollout is ${stateLabel(r)}`;
    return html`<button type="submit" form="${CONTROL_FORM_ID}" formaction="${`${rolloutHref(r.policy)}/${c}`}" name="command" value="${c}" title="${why}"${enabled ? "" : html` disabled`}>${c}</button> `;
  })}${operator ? "" : html`<p class="hint">Viewing only: pausing, resuming, aborting and rolling back need the operator role.</p>`}</div>`;
}

function stageHosts(r: Rollout, hosts: readonly string[]): Html {
  const phases = new Map<string, number>();
  for (const h of hosts) {
    const phase = r.hosts[h]?.phase ?? "pending";
    phases.set(phase, (phases.get(phase) ?? 0) + 1);
  }
  const counts = [...phases].map(([p, n]) => `${n} ${p}`).join(", ");
  const listed = hosts.slice(0, MAX_STAGE_HOSTS).map((h) => {
    const host = r.hosts[h];
    const phase = host?.phase ?? "pending";
    return html`<li class="${`phase-${phase}${host && !host.online ? " offline" : ""}`}" title="${phase}"><a href="${hostHref(h)}">${h}</a> ${PHASE_MARK[phase]} <small>${phase}</small></li>`;
  });
  const more = hosts.length > MAX_STAGE_HOSTS ? html`<li>… and ${hosts.length - MAX_STAGE_HOSTS} more</li>` : "";
  return html`<p class="counts">${hosts.length} host${hosts.length === 1 ? "" : "s"}${counts ? `: ${counts}` : ""}</p><ul class="stage-hosts">${listed}${more}</ul>`;
}

function stageClock(r: Rollout, s: Rollout["stages"][number], now: number): Html {
  if (s.state === "soaking" && s.soakUntil !== null)
    return html`<span class="soak">soaking: ${duration(s.soakUntil - now)} left</span>`;
  const end = s.finishedAt ?? (r.finishedAt !== null ? r.finishedAt : now);
  if (s.startedAt !== null)
    return html`${s.finishedAt === null ? "running for" : "took"} ${duration(end - s.startedAt)}`;
  return html``;
}

/**
 * The live part of a rollout's page (what the page polls): headline, buttons, stages with
 * their hosts, soak clocks and the failures with their messages. `now` measures clocks.
 */
export function rolloutLive(r: Rollout, session: WebSession, now: number): Html {
  const failed = failedHosts(r);
  const active = activeStage(r);
  const targeted = Object.values(r.hosts).filter((h) => h.stage >= 0);
  const done = targeted.filter((h) => h.phase === "converged" || h.phase === "rolledback").length;
  const path = `${rolloutHref(r.policy)}?part=live`;
  return html`<section id="rollout-live" class="${`rollout state-${r.state}`}" hx-get="${path}" hx-trigger="${`every ${ROLLOUT_POLL_SECONDS}s`}" hx-swap="outerHTML">
<p class="headline"><strong class="state">${stateLabel(r).toUpperCase()}</strong> ${shortRevision(r.fromRevision)} → ${shortRevision(r.toRevision)}${r.reason ? html` — <span class="reason">${r.reason}</span>` : ""}</p>
<p class="times">Created ${timeCell(r.createdAt)}${r.startedAt !== null ? html`, started ${timeCell(r.startedAt)}` : ""}${r.finishedAt !== null ? html`, finished ${timeCell(r.finishedAt)}` : ""}. Hosts: ${done}/${targeted.length} done, ${failed.length} failed${r.lateHosts.length ? `, ${r.lateHosts.length} enrolled during the rollout` : ""}.</p>
${buttons(r, session)}
<table class="stages">
<thead><tr><th scope="col">Stage</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Clock</th><th scope="col">Hosts</th></tr></thead>
<tbody>${r.stages.map(
    (s) =>
      html`<tr class="${`stage stage-${s.state}${active?.index === s.index ? " active" : ""}`}"><td>${s.index}</td><td>${s.kind}</td><td>${s.state}</td><td>${stageClock(r, s, now)}</td><td>${s.kind === "plan" ? "fleet dry-run" : stageHosts(r, s.hosts)}</td></tr>`,
  )}</tbody>
</table>
<h2>Failures</h2>
${
  failed.length === 0
    ? html`<p class="empty">No host failed.</p>`
    : html`<ul class="failures">${failed.slice(0, MAX_FAILURES_SHOWN).map((h) => {
        const host = r.hosts[h];
        return html`<li><a href="${hostHref(h)}">${h}</a> <small>(stage ${host?.stage ?? "?"}, ${host?.phase ?? "failed"}${host?.failedAt ? html`, ${timeCell(host.failedAt)}` : ""})</small>: <span class="message">${host?.reason ?? "failed"}</span></li>`;
      })}${failed.length > MAX_FAILURES_SHOWN ? html`<li>… and ${failed.length - MAX_FAILURES_SHOWN} more</li>` : ""}</ul>`
}
</section>`;
}
