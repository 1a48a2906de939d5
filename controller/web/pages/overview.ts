import { html, type Html } from "../html.js";
import type { Route } from "../route.js";
import type { WebDeps } from "../deps.js";
import { COMPLIANCE_WORDS, LIVE_HOST_STATES, type FleetIndex } from "../fleet-index.js";
import { badge, query } from "../format.js";

/** A count linking to where it comes from; `state` shows the label as a state badge. */
function tile(label: string, value: number | string, href: string, state?: string): Html {
  return html`<a class="tile" href="${href}"><span class="n">${value}</span><span class="l">${state ? badge(label) : label}</span></a>`;
}

/**
 * GET /: host counts by state (connected, disconnected, libvirt-unreachable, degraded) and by
 * compliance (compliant, drifted, failed, pending), each linking to the filtered hosts table;
 * fleet compliance percentage, open drift events, rollouts in progress.
 */
export function overviewRoute(index: FleetIndex): Route<WebDeps> {
  return {
    method: "GET",
    path: "/",
    role: "viewer",
    handle: async () => {
      const [fleet, activity] = await Promise.all([index.snapshot(), index.activity()]);
      const body = html`<section class="tiles" aria-label="fleet">
${tile("hosts", fleet.hosts.length, "/hosts")}
${tile("fleet compliance", `${fleet.percent}%`, "/compliance")}
${tile("open drift", activity.openDrift, "/drift")}
${tile("rollouts in progress", activity.rolloutsActive.length, "/rollouts")}
</section>
<h2>Hosts by connection</h2>
<section class="tiles" aria-label="host states">
${LIVE_HOST_STATES.map((s) => tile(s, fleet.byState[s] ?? 0, `/hosts${query({ state: s })}`, s))}
</section>
<h2>Hosts by compliance</h2>
<section class="tiles" aria-label="compliance">
${COMPLIANCE_WORDS.map((s) => tile(s, fleet.byCompliance[s], `/hosts${query({ state: s })}`, s))}
</section>
${
  activity.rolloutsActive.length > 0
    ? html`<h2>Rollouts in progress</h2><ul>${activity.rolloutsActive.map((p) => html`<li><a href="/rollouts">${p}</a></li>`)}</ul>`
    : ""
}`;
      return { kind: "page", title: "Overview", body };
    },
  };
}
