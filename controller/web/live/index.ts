/**
 * The dashboard's live pages (issue 24), one file per page:
 *
 * - drift-page.ts       GET /drift                 drift timeline, filter by host and since
 * - drift-events.ts     GET /drift/events          its server-sent events (DriftFeed → rows)
 * - compliance-page.ts  GET /compliance            fleet trend (trend-chart.ts, SVG) + per-policy table
 * - rollouts-page.ts    GET /rollouts              every policy's newest rollout, polled
 * - rollout-page.ts     GET /rollouts/:policy      one rollout (rollout-view.ts), polled
 * - rollout-actions.ts  POST /rollouts/:policy/(pause|resume|abort|rollback)   operator
 * - audit-page.ts       GET /audit                 audit log, paged, with its verification
 *
 * Shared: format.ts (times, values, query parsing, CSRF field), drift-row.ts.
 * Order matters only in that every literal path comes before a pattern that would match it.
 */
import type { WebDeps } from "../deps.js";
import type { Route } from "../route.js";
import { auditPage } from "./audit-page.js";
import { compliancePage } from "./compliance-page.js";
import { driftEvents } from "./drift-events.js";
import { driftPage } from "./drift-page.js";
import { ROLLOUT_ACTION_ROUTES } from "./rollout-actions.js";
import { rolloutPage } from "./rollout-page.js";
import { rolloutsPage } from "./rollouts-page.js";

export const LIVE_ROUTES: Route<WebDeps>[] = [
  driftPage,
  driftEvents,
  compliancePage,
  rolloutsPage,
  rolloutPage,
  ...ROLLOUT_ACTION_ROUTES,
  auditPage,
];

export { DriftStream, LIVE_ROWS_PER_SECOND, LIVE_ROWS_KEPT } from "./drift-events.js";
export { trendChart } from "./trend-chart.js";
