import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { hostname } from "node:os";
import {
  describeError,
  formatHostPort,
  isLoopback,
  NotFoundError,
  ValidationError,
  VirtfleetError,
  type HostPort,
  type Logger,
} from "../../common/index.js";
import type { TlsMaterial } from "../../common/pki/index.js";
import { actorOf, hasRole, type Caller } from "../auth/index.js";
import type { AuditSink } from "../audit/index.js";
import { loadAssets, type Asset } from "./assets.js";
import { html } from "./html.js";
import { parseCookies, readForm, SECURITY_HEADERS, send, WebRequestError } from "./http.js";
import { bareLayout, layout } from "./pages/layout.js";
import { signInPage } from "./pages/signin.js";
import type { Route, WebRequest, WebResponse } from "./route.js";
import { Router } from "./router.js";
import { csrfMatches, SESSION_MAX_AGE_MS, type OpenedSession, type WebSessionStore } from "./session-store.js";
import { serveEvents } from "./sse.js";

/** A raw handler mounted at an exact path, served before authentication (it does its own access check). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface WebServerOptions<D> {
  listen: HostPort;
  /** HTTPS with this certificate; undefined = plain HTTP, refused unless `listen` is loopback. */
  tls: TlsMaterial | undefined;
  routes: readonly Route<D>[];
  deps: D;
  sessions: WebSessionStore;
  /** Where refusals of signed-in users and their actions are recorded (the controller's AuditLog). */
  audit: AuditSink;
  /** Exact paths served before authentication (e.g. /metrics). */
  extraHandlers?: Readonly<Record<string, RawHandler>>;
  log: Logger;
}

/** When each response's request arrived (for its Server-Timing header). */
const startedAt = new WeakMap<ServerResponse, number>();

/** `Server-Timing: app;dur=MS`: the server's time on the request so far (for browsers' developer tools and benchmarks). */
function serverTiming(res: ServerResponse): Record<string, string> {
  const t0 = startedAt.get(res);
  return t0 === undefined ? {} : { "server-timing": `app;dur=${(performance.now() - t0).toFixed(1)}` };
}

/** How often expired sessions and sign-in links are forgotten. */
export const SESSION_PRUNE_MS = 3_600_000;
/** Longest time a request's headers may take to arrive (slow-loris bound). */
const HEADERS_TIMEOUT_MS = 10_000;
/** Connections held at once; past it new ones are refused by the OS backlog. */
const MAX_CONNECTIONS = 1_000;

export class WebStartError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WEB_START", message, options);
  }
}

/** The name of the session cookie: `__Host-` (Secure, path /, no domain: the browser enforces it) over HTTPS. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-virtfleet-session" : "virtfleet-session";
}

/**
 * The dashboard's listener. For each request, in order:
 * 1. every response carries SECURITY_HEADERS; the request log has method, path (never the
 *    query: a sign-in token travels there), status and time;
 * 2. `extraHandlers` (exact path) run before authentication;
 * 3. GET /assets/… serves the static files (assets.ts);
 * 4. GET /signin?token=… exchanges a sign-in link for a session cookie (HttpOnly, SameSite=Strict,
 *    path /, Secure over HTTPS) and redirects to /; without a (valid) token it shows how to get one;
 * 5. without a session: GET redirects to /signin, anything else is 401;
 * 6. a POST must carry the session's CSRF token in the form field `csrf`, and every route needs
 *    its role: a signed-in user refused for either gets 403 and the refusal is audited (as the
 *    admin API's authorizeAdmin does: actor `admin:NAME`, the route's action, `{denied}`);
 *    a POST that passes is audited with its outcome; a POST's record is committed before its
 *    answer is sent (on PostgreSQL too: a client that reads the audit log next sees it);
 *    POST /signout ends the session;
 * 7. the route's answer is rendered: a page inside the layout, a fragment, a redirect, JSON, or
 *    a server-sent event stream (sse.ts), which ends when the client goes away or the server stops.
 */
export class WebServer<D> {
  private server: Server | undefined;
  private readonly router: Router<D>;
  private readonly assets: Map<string, Asset>;
  private readonly streams = new Set<AbortController>();
  private readonly sockets = new Set<Socket>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private boundPort = 0;
  private readonly secure: boolean;
  private readonly cookie: string;

  constructor(private readonly o: WebServerOptions<D>) {
    this.router = new Router(o.routes);
    this.assets = loadAssets();
    this.secure = o.tls !== undefined;
    this.cookie = sessionCookieName(this.secure);
  }

  /** The address bound (the OS-chosen port when `listen.port` was 0). */
  get address(): HostPort {
    return { host: this.o.listen.host, port: this.boundPort };
  }

  /** The dashboard's base URL, e.g. `https://127.0.0.1:7444` (a wildcard listen address: this machine's host name). */
  get url(): string {
    const host = ["0.0.0.0", "::", ""].includes(this.o.listen.host) ? hostname() : this.o.listen.host;
    return `${this.secure ? "https" : "http"}://${formatHostPort({ host, port: this.boundPort })}`;
  }

  async start(): Promise<HostPort> {
    const { listen, tls } = this.o;
    if (!tls && !isLoopback(listen.host))
      throw new WebStartError(
        `the dashboard refuses plain HTTP on ${listen.host}: without TLS it listens on loopback only. ` +
          "Drop --insecure (the dashboard then serves HTTPS with the controller's certificate) or use --web-listen 127.0.0.1:PORT",
      );
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = tls
      ? createHttpsServer(
          {
            cert: tls.certPem,
            key: tls.keyPem,
            minVersion: "TLSv1.2",
            // An optional client certificate: /metrics accepts an admin certificate of this CA
            // (controller/metrics checks it); pages ignore it and want a session.
            ca: tls.caPem,
            requestCert: true,
            rejectUnauthorized: false,
          },
          handler,
        )
      : createHttpServer(handler);
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = 30_000;
    server.maxConnections = MAX_CONNECTIONS;
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(
          new WebStartError(
            `the dashboard cannot listen on ${formatHostPort(listen)}: ${err.message} (choose another --web-listen, or --no-web)`,
            { cause: err },
          ),
        ),
      );
      server.listen(listen.port, listen.host, () => resolve());
    });
    this.server = server;
    const addr = server.address();
    this.boundPort = typeof addr === "object" && addr ? addr.port : listen.port;
    void this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), SESSION_PRUNE_MS);
    this.pruneTimer.unref();
    return this.address;
  }

  /** Ends event streams, closes the listener and every connection. */
  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    for (const s of this.streams) s.abort();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private async prune(): Promise<void> {
    try {
      await this.o.sessions.prune();
    } catch (err) {
      this.o.log.warn({ err: describeError(err) }, "forgetting expired dashboard sessions failed");
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    startedAt.set(res, started);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v as string);
    let path = "?";
    try {
      const url = new URL(req.url ?? "/", "http://dashboard.invalid");
      path = url.pathname;
      await this.dispatch(req, res, url);
    } catch (err) {
      this.fail(res, err, path);
    } finally {
      res.once("finish", () =>
        this.o.log.debug(
          { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) },
          "dashboard request",
        ),
      );
    }
  }

  private fail(res: ServerResponse, err: unknown, path: string): void {
    const status =
      err instanceof WebRequestError
        ? err.status
        : err instanceof NotFoundError
          ? 404
          : err instanceof ValidationError
            ? 400
            : 500;
    if (status === 500) this.o.log.error({ path, err: describeError(err) }, "dashboard request failed");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message =
      status === 500
        ? "The dashboard could not answer this request; the controller log says why."
        : (err as Error).message;
    send(
      res,
      status,
      bareLayout(status === 404 ? "Not found" : "Error", html`<p>${message}</p><p><a href="/">Overview</a></p>`).value,
      {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
      },
    );
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    const path = url.pathname;
    const extra =
      this.o.extraHandlers && Object.hasOwn(this.o.extraHandlers, path) ? this.o.extraHandlers[path] : undefined;
    if (extra) return extra(req, res);
    if (path.startsWith("/assets/")) return this.serveAsset(req, res, path);
    if (path === "/signin" && (method === "GET" || method === "HEAD")) return this.signIn(res, url);
    const session = await this.sessionOf(req);
    if (!session) {
      if (method === "GET" || method === "HEAD") return this.redirect(res, "/signin");
      return send(res, 401, "sign in first: virtfleet web login\n", { "content-type": "text/plain; charset=utf-8" });
    }
    if (method !== "GET" && method !== "POST")
      return send(res, 405, "method not allowed\n", {
        allow: "GET, POST",
        "content-type": "text/plain; charset=utf-8",
      });
    const form = method === "POST" ? await readForm(req) : new URLSearchParams();
    if (path === "/signout" && method === "POST") return this.signOut(res, session, form);
    const found = this.router.match(method, path);
    if (!found) throw new NotFoundError(`nothing here: ${path}`);
    if ("allowed" in found)
      return send(res, 405, "method not allowed\n", {
        allow: found.allowed.join(", "),
        "content-type": "text/plain; charset=utf-8",
      });
    const { route, params } = found;
    const abort = new AbortController();
    const request: WebRequest = { method, url, params, form, session, signal: abort.signal };
    const caller: Caller = { kind: "admin", name: session.user, role: session.role };
    if (!hasRole(session.role, route.role)) {
      const why = `${method} ${route.path} needs role ${route.role}; ${actorOf(caller)} has role ${session.role}`;
      return await this.refuse(res, request, route, caller, why);
    }
    if (method === "POST" && !csrfMatches(session, form.get("csrf")))
      return await this.refuse(res, request, route, caller, "missing or forged CSRF token");
    const closed = () => abort.abort();
    req.once("close", closed);
    res.once("close", closed);
    let answer: WebResponse;
    try {
      answer = await route.handle(request, this.o.deps);
    } catch (err) {
      if (method === "POST") await this.record(caller, request, route, { error: describeError(err) });
      throw err;
    }
    if (method === "POST") await this.record(caller, request, route, {});
    await this.render(res, answer, request, abort);
  }

  /** 403 for a signed-in user; a refused POST is audited (GETs only read: logged). */
  private async refuse(
    res: ServerResponse,
    request: WebRequest,
    route: Route<D>,
    caller: Caller,
    why: string,
  ): Promise<void> {
    this.o.log.warn(
      { method: request.method, path: route.path, actor: actorOf(caller) },
      `dashboard request refused: ${why}`,
    );
    if (request.method === "POST") await this.record(caller, request, route, { denied: why });
    send(res, 403, bareLayout("Refused", html`<p>${why}.</p><p><a href="/">Overview</a></p>`).value, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
    });
  }

  /**
   * The audit record of a dashboard POST: the route's action and target, `via: web`, and the
   * outcome. Resolves once it is committed (the answer is sent after it, so a client that reads
   * the audit log next sees it, on any replica and engine) or its failure is logged; never rejects.
   */
  private async record(
    caller: Caller,
    request: WebRequest,
    route: Route<D>,
    outcome: { denied?: string; error?: string },
  ): Promise<void> {
    let named: { action: string; target: string };
    try {
      named = route.action?.(request) ?? { action: "web.post", target: route.path };
    } catch {
      named = { action: "web.post", target: route.path };
    }
    const entry = {
      actor: actorOf(caller),
      action: named.action,
      target: named.target,
      detail: { via: "web", ...outcome },
    };
    try {
      await this.o.audit.append(entry);
    } catch (err) {
      this.o.log.error(
        { action: entry.action, err: describeError(err) },
        "writing the audit record of a dashboard action failed",
      );
    }
  }

  private async render(
    res: ServerResponse,
    answer: WebResponse,
    request: WebRequest,
    abort: AbortController,
  ): Promise<void> {
    const htmlHeaders = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };
    const timed = () => ({ ...htmlHeaders, ...serverTiming(res) });
    switch (answer.kind) {
      case "page":
        return send(
          res,
          answer.status ?? 200,
          layout(answer.title, answer.body, request.session, request.url.pathname).value,
          timed(),
        );
      case "fragment":
        return send(res, answer.status ?? 200, answer.body.value, timed());
      case "redirect":
        return this.redirect(res, answer.location);
      case "json":
        return send(res, answer.status ?? 200, JSON.stringify(answer.body), {
          "content-type": "application/json; charset=utf-8",
          "cache-control": "no-store",
        });
      case "events": {
        this.streams.add(abort);
        try {
          await serveEvents(
            res,
            abort.signal,
            () => abort.abort(),
            answer.stream,
            (err) =>
              this.o.log.warn(
                { path: request.url.pathname, err: describeError(err) },
                "a dashboard event stream failed",
              ),
          );
        } finally {
          this.streams.delete(abort);
        }
        return;
      }
    }
  }

  private redirect(res: ServerResponse, location: string): void {
    // Only paths of this site: an absolute URL from a route would be an open redirect.
    const safe = location.startsWith("/") && !location.startsWith("//") ? location : "/";
    send(res, 303, "", { location: safe, "cache-control": "no-store" });
  }

  private serveAsset(req: IncomingMessage, res: ServerResponse, path: string): void {
    const asset = this.assets.get(path);
    if (!asset || (req.method !== "GET" && req.method !== "HEAD")) throw new NotFoundError(`no asset ${path}`);
    if (req.headers["if-none-match"] === asset.etag) return send(res, 304, "", { etag: asset.etag });
    send(
      res,
      200,
      asset.body,
      { "content-type": asset.type, etag: asset.etag, "cache-control": "no-cache" },
      req.method === "HEAD",
    );
  }

  private async sessionOf(req: IncomingMessage): Promise<OpenedSession | undefined> {
    const secret = parseCookies(req.headers.cookie).get(this.cookie);
    return secret ? this.o.sessions.session(secret) : undefined;
  }

  private setCookie(value: string, maxAgeS: number): string {
    return `${this.cookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${this.secure ? "; Secure" : ""}`;
  }

  /** GET /signin: exchanges `token` for a session (303 to /, the token leaves the address bar) or explains. */
  private async signIn(res: ServerResponse, url: URL): Promise<void> {
    const token = url.searchParams.get("token");
    const noStore = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };
    if (token === null) return send(res, 200, signInPage().value, noStore);
    const r = await this.o.sessions.redeem(token);
    if (!r.ok) {
      this.o.log.warn({ reason: r.reason }, "a dashboard sign-in link was refused");
      return send(res, 403, signInPage(r.reason).value, noStore);
    }
    this.o.log.info({ user: r.session.user, role: r.session.role }, "dashboard sign-in");
    send(res, 303, "", {
      location: "/",
      "set-cookie": this.setCookie(r.session.secret, Math.floor(SESSION_MAX_AGE_MS / 1000)),
      "cache-control": "no-store",
    });
  }

  private async signOut(res: ServerResponse, session: OpenedSession, form: URLSearchParams): Promise<void> {
    if (!csrfMatches(session, form.get("csrf")))
      return send(res, 403, bareLayout("Refused", html`<p>Sign-out needs the page's CSRF token.</p>`).value, {
        "content-type": "text/html; charset=utf-8",
      });
    await this.o.sessions.end(session.secret);
    send(res, 303, "", { location: "/signin", "set-cookie": this.setCookie("", 0), "cache-control": "no-store" });
  }
}
