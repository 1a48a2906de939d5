import { activeStage, failedHosts, type Rollout } from "../../rollout/index.js";
import { html, type Html } from "../html.js";
import type { Route } from "../route.js";
import type { WebDeps } from "../deps.js";
import { rolloutHref, shortRevision, timeCell } from "./format.js";
import { stateLabel } from "./rollout-view.js";

/** How often the list refreshes itself (htmx polling), in seconds. */
export const ROLLOUTS_POLL_SECONDS = 2;

function progress(r: Rollout): string {
  const targeted = Object.values(r.hosts).filter((h) => h.stage >= 0);
  const done = targeted.filter((h) => h.phase === "converged" || h.phase === "rolledback").length;
  return `${done}/${targeted.length}`;
}

function listTable(rows: { policy: string; rollout: Rollout | undefined }[]): Html {
  return html`<section id="rollouts-live" hx-get="/rollouts?part=live" hx-trigger="${`every ${ROLLOUTS_POLL_SECONDS}s`}" hx-swap="outerHTML">${
    rows.length === 0
      ? html`<p class="empty">No policies and no rollouts.</p>`
      : html`<table class="rollouts">
<thead><tr><th scope="col">Policy</th><th scope="col">State</th><th scope="col">Revision</th><th scope="col">Stage</th><th scope="col">Hosts done</th><th scope="col">Failed</th><th scope="col">Updated</th></tr></thead>
<tbody>${rows.map(({ policy, rollout: r }) => {
          if (!r) return html`<tr class="no-rollout"><td>${policy}</td><td colspan="6">no rollout yet</td></tr>`;
          const stage = activeStage(r);
          return html`<tr class="${`state-${r.state}`}"><td><a href="${rolloutHref(policy)}">${policy}</a></td><td>${stateLabel(r)}</td><td>${shortRevision(r.fromRevision)} → ${shortRevision(r.toRevision)}</td><td>${stage ? `${stage.index} of ${r.stages.length - 1} (${stage.kind}, ${stage.state})` : ""}</td><td>${progress(r)}</td><td>${failedHosts(r).length}</td><td>${timeCell(r.updatedAt)}</td></tr>`;
        })}</tbody>
</table>`
  }</section>`;
}

/**
 * GET /rollouts: each policy's newest rollout (the policies in force, and removed policies
 * whose removal the runner tracks), refreshed every ROLLOUTS_POLL_SECONDS by htmx polling
 * (`?part=live` answers the table alone).
 */
export const rolloutsPage: Route<WebDeps> = {
  method: "GET",
  path: "/rollouts",
  role: "viewer",
  async handle(req, deps) {
    const names = new Set(deps.policies.current().policies.map((p) => p.name));
    for (const p of deps.rollouts.trackedPolicies()) names.add(p);
    const rows = await Promise.all(
      [...names].sort().map(async (policy) => ({ policy, rollout: await deps.rollouts.rolloutOf(policy) })),
    );
    const table = listTable(rows);
    if (req.url.searchParams.get("part") === "live") return { kind: "fragment", body: table };
    return { kind: "page", title: "Rollouts", body: table };
  },
};
