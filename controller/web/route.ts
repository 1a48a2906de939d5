import type { Role } from "../auth/index.js";
import type { Html } from "./html.js";

/** The signed-in user of a dashboard request (from the session cookie). */
export interface WebSession {
  /** Who signed in: the admin name the sign-in link or certificate was made for. */
  user: string;
  role: Role;
  /** The session's CSRF token: every POST carries it in the form field `csrf` (checked by the server, not by routes). */
  csrf: string;
}

/** One dashboard request as a route sees it; the server has checked the session, role and CSRF before. */
export interface WebRequest {
  method: "GET" | "POST";
  url: URL;
  /** Path parameters of the route's pattern (`/hosts/:name` → `{ name }`), decoded. */
  params: Readonly<Record<string, string>>;
  /** A POST's url-encoded form (empty for GET). */
  form: URLSearchParams;
  session: WebSession;
  /** Aborted when the client goes away (ends server-sent event streams). */
  signal: AbortSignal;
}

/** What a route answers: a page (wrapped in the layout), a fragment (no layout), a redirect, or a stream of server-sent events. */
export type WebResponse =
  | { kind: "page"; title: string; body: Html; status?: number }
  | { kind: "fragment"; body: Html; status?: number }
  | { kind: "redirect"; location: string }
  | { kind: "json"; body: unknown; status?: number }
  | {
      kind: "events";
      /** Called with a writer; resolves when the stream ends (the request's signal aborts it). */
      stream: (send: (event: string, data: string) => void, signal: AbortSignal) => Promise<void>;
    };

/**
 * A dashboard route: method, path pattern (`/rollouts/:policy`), the least role that may use it
 * (GET routes are normally viewer; the server refuses and audits a POST by a lesser role before
 * `handle` runs), and the handler.
 */
export interface Route<D> {
  method: "GET" | "POST";
  path: string;
  role: Role;
  /** For POSTs: how the audit log names the action (`rollout.pause`), recorded with the outcome. */
  action?: (req: WebRequest) => { action: string; target: string };
  handle: (req: WebRequest, deps: D) => Promise<WebResponse>;
}
