import { html } from "../html.js";
import type { Route } from "../route.js";
import type { WebDeps } from "../deps.js";
import { csrfField } from "../format.js";
import { problemPage, rolloutHref } from "./format.js";
import { CONTROL_FORM_ID, rolloutLive, ROLLOUT_POLL_SECONDS } from "./rollout-view.js";

/**
 * GET /rollouts/:policy: one policy's newest rollout (RolloutRunner.rolloutOf, what `virtfleet
 * rollout status` shows): state, stages with their hosts, soak clocks, failures, and the
 * operator buttons. Live by htmx polling: the live part asks `?part=live` (a fragment) every
 * ROLLOUT_POLL_SECONDS and replaces itself; the control form (CSRF field, reason) is outside
 * it, so a reason being typed survives the refreshes. Without JavaScript: reload to refresh.
 */
export const rolloutPage: Route<WebDeps> = {
  method: "GET",
  path: "/rollouts/:policy",
  role: "viewer",
  async handle(req, deps) {
    const policy = req.params.policy ?? "";
    const r = await deps.rollouts.rolloutOf(policy);
    const live = req.url.searchParams.get("part") === "live";
    if (!r) {
      const inForce = deps.policies.current().policies.some((p) => p.name === policy);
      if (live) return { kind: "fragment", status: inForce ? 200 : 404, body: html`` };
      return inForce
        ? problemPage(`Rollout of ${policy}`, `policy ${policy} has no rollout yet`, 200, {
            href: "/rollouts",
            label: "All rollouts",
          })
        : problemPage("Rollout", `unknown policy ${JSON.stringify(policy)}; see the policies`, 404, {
            href: "/rollouts",
            label: "All rollouts",
          });
    }
    const section = rolloutLive(r, req.session, Date.now());
    if (live) return { kind: "fragment", body: section };
    const body = html`<form id="${CONTROL_FORM_ID}" class="rollout-control" method="post" action="${`${rolloutHref(r.policy)}/pause`}">
${csrfField(req.session)}
<label>Reason (optional) <input name="reason" maxlength="500" placeholder="why, for the audit log and the rollout"></label>
</form>
${section}
<p class="hint">This page refreshes every ${ROLLOUT_POLL_SECONDS} s while JavaScript is on; <a href="/rollouts">all rollouts</a>.</p>`;
    return { kind: "page", title: `Rollout of ${r.policy}`, body };
  },
};
