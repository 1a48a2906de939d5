import type { WebDeps } from "./deps.js";
import { FleetIndex } from "./fleet-index.js";
import { LIVE_ROUTES } from "./live/index.js";
import { hostResyncRoute, hostRoute } from "./pages/host.js";
import { hostsRoute } from "./pages/hosts.js";
import { overviewRoute } from "./pages/overview.js";
import type { Route } from "./route.js";

/**
 * Every dashboard route, for one controller (the fleet index caches that controller's hosts).
 * The server matches them in this order; the sign-in, sign-out and asset paths are the
 * server's own (server.ts).
 */
export function dashboardRoutes(deps: WebDeps): Route<WebDeps>[] {
  const fleet = new FleetIndex(deps);
  return [
    overviewRoute(fleet),
    hostsRoute(fleet),
    hostRoute,
    hostResyncRoute,
    // The live pages: drift timeline, compliance chart, rollouts, audit (controller/web/live).
    ...LIVE_ROUTES,
  ];
}
