/**
 * The dashboard (issue 24): server-rendered pages on the controller's web listener.
 *
 * - html.ts           the escaping `html` template (the only way data reaches markup)
 * - route.ts          the route contract: request, session, response kinds
 * - deps.ts           the controller services routes read and act through
 * - server.ts         the listener: security headers, sign-in, sessions, CSRF, roles, audit, SSE
 * - session-store.ts  sign-in links and sessions (tables web_signins, web_sessions; schema.ts)
 * - routes.ts         every route; pages/ renders them; fleet-index.ts is what overview and hosts read
 */
export { Html, html, raw, escapeHtml } from "./html.js";
export type { Route, WebRequest, WebResponse, WebSession } from "./route.js";
export type { WebDeps } from "./deps.js";
export { WebServer, WebStartError, sessionCookieName, type RawHandler, type WebServerOptions } from "./server.js";
export {
  WebSessionStore,
  csrfTokenOf,
  csrfMatches,
  SIGNIN_TTL_MS,
  SESSION_MAX_AGE_MS,
  SESSION_IDLE_MS,
  type SignInRefusal,
} from "./session-store.js";
export { dashboardRoutes } from "./routes.js";
export { layout, NAV } from "./pages/layout.js";
export { badge, csrfField, time } from "./format.js";
export { WEB_SCHEMA, WEB_SCHEMA_PG } from "./schema.js";
export { DEFAULT_WEB_LISTEN } from "./defaults.js";
