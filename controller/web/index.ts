/**
 * The dashboard (issue 24): server-rendered pages on the controller's web listener.
 *
 * - html.ts   the escaping `html` template (the only way data reaches markup)
 * - route.ts  the route contract: request, session, response kinds
 * - deps.ts   the controller services routes read and act through
 */
export { Html, html, raw, escapeHtml } from "./html.js";
export type { Route, WebRequest, WebResponse, WebSession } from "./route.js";
export type { WebDeps } from "./deps.js";
