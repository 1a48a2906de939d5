import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { loggerOptions } from "../../../common/index.js";
import { AuditLog } from "../../../controller/audit/index.js";
import {
  html,
  SIGNIN_TTL_MS,
  WebServer,
  WebSessionStore,
  type Route,
  type WebRequest,
} from "../../../controller/web/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// The listener with routes of its own (no controller): sign-in, sessions, CSRF, roles, the
// audit of refusals, security headers, assets, raw handlers and server-sent events, over plain
// HTTP on loopback (HTTPS is exercised by test/e2e/web-dashboard.test.ts). Sessions and the
// audit log on each engine (test/harness/postgres.ts).

let now = Date.now();
let store: TestStore;
let sessions: WebSessionStore;
let audit: AuditLog;
let server: WebServer<{ tag: string }>;
const acted: string[] = [];
/** Every line the listener logged, at debug level (the request log included). */
const logLines: string[] = [];
const log = pino(loggerOptions("web-test", "debug"), { write: (line: string) => void logLines.push(line) });
let streamEnded: Promise<boolean> = Promise.resolve(false);
let floodEnded: Promise<boolean> = Promise.resolve(false);
let floodStarted = 0;

const routes: Route<{ tag: string }>[] = [
  {
    method: "GET",
    path: "/",
    role: "viewer",
    handle: async (req, deps) => ({
      kind: "page",
      title: "Home",
      body: html`<p id="who">${req.session.user} ${deps.tag} ${"<b>"}</p>`,
    }),
  },
  {
    method: "POST",
    path: "/rollouts/:policy/pause",
    role: "operator",
    action: (req: WebRequest) => ({ action: "rollout.pause", target: req.params.policy ?? "" }),
    handle: async (req) => {
      acted.push(req.params.policy ?? "");
      return { kind: "redirect", location: "/" };
    },
  },
  {
    method: "GET",
    path: "/events",
    role: "viewer",
    handle: async () => ({
      kind: "events",
      stream: (send, signal) => {
        streamEnded = new Promise((resolve) => {
          send("hello", "line one\nline two");
          const t = setInterval(() => send("tick", "x"), 20);
          signal.addEventListener("abort", () => {
            clearInterval(t);
            resolve(true);
          });
        });
        return streamEnded.then(() => undefined);
      },
    }),
  },
];

routes.push({
  method: "GET",
  path: "/flood",
  role: "viewer",
  handle: async () => ({
    kind: "events",
    stream: (send, signal) => {
      floodStarted = Date.now();
      floodEnded = new Promise((resolve) => {
        const chunk = "y".repeat(64 * 1024);
        const t = setInterval(() => send("flood", chunk), 1);
        signal.addEventListener("abort", () => {
          clearInterval(t);
          resolve(true);
        });
      });
      return floodEnded.then(() => undefined);
    },
  }),
});

const startServer = () =>
  new WebServer({
    listen: { host: "127.0.0.1", port: 0 },
    tls: undefined,
    routes,
    deps: { tag: "deps-ok" },
    sessions,
    audit,
    extraHandlers: {
      "/metrics": async (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("raw handler\n");
      },
    },
    log,
  });
let base = "";

const get = (path: string, cookie?: string) =>
  fetch(base + path, { redirect: "manual", headers: cookie ? { cookie } : {} });
const post = (path: string, cookie: string, form: Record<string, string>) =>
  fetch(base + path, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });

async function signIn(role: "viewer" | "operator", user = "alice"): Promise<{ cookie: string; csrf: string }> {
  const { token } = await sessions.createSignIn(user, role);
  const r = await get(`/signin?token=${token}`);
  expect(r.status).toBe(303);
  expect(r.headers.get("location")).toBe("/");
  const set = r.headers.get("set-cookie") ?? "";
  expect(set).toMatch(/HttpOnly/);
  expect(set).toMatch(/SameSite=Strict/);
  expect(set).toMatch(/Path=\//);
  const cookie = set.split(";")[0]!;
  const page = await (await get("/", cookie)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  expect(csrf).not.toBe("");
  return { cookie, csrf };
}

const auditRecords = async () => (await audit.list({ limit: 1000 })).filter((r) => r.action === "rollout.pause");

describe.each(ENGINES)("the dashboard listener on %s", (engine) => {
  beforeAll(async () => {
    store = await openTestStore(engine);
    now = Date.now();
    sessions = new WebSessionStore(store.db, () => now);
    audit = new AuditLog(store.db);
    acted.length = 0;
    floodStarted = 0;
    server = startServer();
    await server.start();
    base = server.url;
  });
  afterAll(async () => {
    await server?.stop();
    await store?.close();
  });

  it("sends the security headers on every answer, signed in or not", async () => {
    for (const r of [await get("/"), await get("/signin"), await get("/assets/dashboard.css"), await get("/nothing")]) {
      expect(r.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
      expect(r.headers.get("content-security-policy")).not.toMatch(/unsafe-inline/);
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("sends a visitor without a session to the sign-in page, which explains `virtfleet web login`", async () => {
    const r = await get("/");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/signin");
    const page = await (await get("/signin")).text();
    expect(page).toContain("virtfleet web login");
    expect((await post("/rollouts/web/pause", "", {})).status).toBe(401);
  });

  it("serves htmx, its SSE extension and the stylesheet without a session", async () => {
    const js = await get("/assets/htmx.min.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(await js.text()).toContain("htmx");
    expect(await (await get("/assets/sse.min.js")).text()).toContain("sse");
    const css = await get("/assets/dashboard.css");
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
    const again = await fetch(`${base}/assets/dashboard.css`, {
      headers: { "if-none-match": css.headers.get("etag")! },
    });
    expect(again.status).toBe(304);
    expect((await get("/assets/../server.ts")).status).toBe(303);
  });

  it("runs raw handlers before authentication", async () => {
    expect(await (await get("/metrics")).text()).toBe("raw handler\n");
  });

  it("exchanges a sign-in link once for a session, escapes data, passes the deps", async () => {
    const { token } = await sessions.createSignIn("mallory<script>", "viewer");
    const first = await get(`/signin?token=${token}`);
    expect(first.status).toBe(303);
    const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0]!;
    const page = await (await get("/", cookie)).text();
    expect(page).toContain("mallory&lt;script&gt; deps-ok &lt;b&gt;");
    expect(page).not.toContain("<script>");
    const second = await get(`/signin?token=${token}`);
    expect(second.status).toBe(403);
    expect(second.headers.get("set-cookie")).toBeNull();
    expect(await second.text()).toContain("already used");
  });

  it("never logs a sign-in token, nor a cookie; the request log has the path without the query", async () => {
    const { token } = await sessions.createSignIn("alice", "viewer");
    const r = await get(`/signin?token=${token}`);
    const secret = (r.headers.get("set-cookie") ?? "").split(";")[0]!.split("=")[1]!;
    await get("/", `virtfleet-session=${secret}`);
    await get(`/signin?token=${token}`); // refused: logged as such
    await new Promise((resolve) => setTimeout(resolve, 50));
    const all = logLines.join("");
    expect(all).toMatch(/"path":"\/signin"/);
    expect(all).toMatch(/sign-in link was refused/);
    expect(all).not.toContain(token);
    expect(all).not.toContain(secret);
  });

  it("refuses a link older than 60 s", async () => {
    const { token } = await sessions.createSignIn("alice", "viewer");
    now += SIGNIN_TTL_MS + 1;
    const r = await get(`/signin?token=${token}`);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain("expired");
  });

  it("refuses and audits a POST without the CSRF token or with a forged one", async () => {
    const { cookie } = await signIn("operator", "olga");
    const before = (await auditRecords()).length;
    expect((await post("/rollouts/web/pause", cookie, {})).status).toBe(403);
    expect((await post("/rollouts/web/pause", cookie, { csrf: "forged" })).status).toBe(403);
    expect(acted).toEqual([]);
    const records = (await auditRecords()).slice(before);
    expect(records).toHaveLength(2);
    for (const r of records) {
      expect(r.actor).toBe("admin:olga");
      expect(r.target).toBe("web");
      expect(JSON.parse(r.detailJson)).toMatchObject({ via: "web", denied: "missing or forged CSRF token" });
    }
  });

  it("refuses and audits a viewer's POST to an operator route, even with the right CSRF token", async () => {
    const { cookie, csrf } = await signIn("viewer", "victor");
    const before = (await auditRecords()).length;
    const r = await post("/rollouts/web/pause", cookie, { csrf });
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/needs role operator/);
    expect(acted).toEqual([]);
    const [record] = (await auditRecords()).slice(before);
    expect(record?.actor).toBe("admin:victor");
    expect(JSON.parse(record!.detailJson).denied).toMatch(/needs role operator; admin:victor has role viewer/);
  });

  it("runs an operator's POST with the CSRF token, and audits it", async () => {
    const { cookie, csrf } = await signIn("operator", "olga");
    const before = (await auditRecords()).length;
    const r = await post("/rollouts/web/pause", cookie, { csrf });
    expect(r.status).toBe(303);
    expect(acted).toEqual(["web"]);
    const [record] = (await auditRecords()).slice(before);
    expect(record).toMatchObject({ actor: "admin:olga", action: "rollout.pause", target: "web" });
    expect(JSON.parse(record!.detailJson)).toEqual({ via: "web" });
  });

  it("answers 404 and 405 for signed-in users", async () => {
    const { cookie, csrf } = await signIn("operator");
    expect((await get("/nothing", cookie)).status).toBe(404);
    expect((await post("/", cookie, { csrf })).status).toBe(405);
  });

  it("signs out with the CSRF token only; the cookie is worthless afterwards", async () => {
    const { cookie, csrf } = await signIn("viewer");
    expect((await post("/signout", cookie, { csrf: "forged" })).status).toBe(403);
    expect((await get("/", cookie)).status).toBe(200);
    const out = await post("/signout", cookie, { csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await get("/", cookie)).status).toBe(303);
  });

  it("streams server-sent events and ends the stream when the client goes away", async () => {
    const { cookie } = await signIn("viewer");
    const abort = new AbortController();
    const r = await fetch(`${base}/events`, { headers: { cookie }, signal: abort.signal });
    expect(r.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = r.body!.getReader();
    let text = "";
    while (!text.includes("event: tick")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain("event: hello\ndata: line one\ndata: line two\n\n");
    abort.abort();
    await expect(streamEnded).resolves.toBe(true);
  });

  it("cuts off an event stream whose client does not read (bounded buffers)", async () => {
    const { cookie } = await signIn("viewer");
    const { request } = await import("node:http");
    const req = request(`${base}/flood`, { headers: { cookie } });
    req.on("response", (res) => res.pause()); // never reads
    req.on("error", () => undefined);
    req.end();
    // the route sets floodEnded when the stream starts; it resolves when the server cuts it off
    const started = Date.now();
    while (floodStarted === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
    const ended = await Promise.race([floodEnded, new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
    req.destroy();
    expect(ended).toBe(true);
  }, 30_000);
});
