import { afterEach, describe, expect, it } from "vitest";
import { LIVE_ROUTES } from "../../../controller/web/live/index.js";
import { bodyOf, liveFixture, request, routeOf, type LiveFixture } from "./live-deps.js";
import { ENGINES } from "../../harness/postgres.js";

const page = routeOf(LIVE_ROUTES, "GET", "/audit");
const EVIL = `<script>alert("x")</script>`;

let fx: LiveFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const rows = (body: string) => [...body.matchAll(/<tr class="outcome-\w+"><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));

describe.each(ENGINES)("GET /audit on %s", (engine) => {
  it("shows time, actor, action, target, outcome and the redacted detail, newest first, escaping hostile text", async () => {
    fx = await liveFixture({ engine });
    const { audit } = fx.deps;
    await audit.append({ actor: "admin:olga", action: "rollout.pause", target: "web", detail: { reason: "latency" } });
    await audit.append({
      actor: "admin:vic",
      action: "rollout.pause",
      target: "web",
      detail: { denied: "needs role operator" },
    });
    await audit.append({
      actor: "admin:olga",
      action: "token.create",
      target: "*",
      detail: { token: "vf1-SECRET-TOKEN", ttlMs: 60_000 },
    });
    await audit.append({
      actor: `admin:${EVIL}`,
      action: "rollout.abort",
      target: EVIL,
      detail: { error: `<img src=x onerror=alert(1)>` },
    });
    const res = await page.handle(request("/audit"), fx.deps);
    expect(res).toMatchObject({ kind: "page", title: "Audit log" });
    const body = bodyOf(res);
    expect(rows(body)).toEqual([4, 3, 2, 1]);
    expect(body).toMatch(
      /<tr class="outcome-ok"><td>1<\/td><td><time datetime="[^"]+">[^<]+<\/time><\/td><td>admin:olga<\/td><td>rollout.pause<\/td><td>web<\/td><td>ok<\/td><td><code>\{&quot;reason&quot;:&quot;latency&quot;\}<\/code><\/td><\/tr>/,
    );
    expect(body).toContain('<tr class="outcome-denied"><td>2</td>');
    expect(body).toContain('<tr class="outcome-failed"><td>4</td>');
    expect(body).not.toContain("SECRET-TOKEN");
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("<img");
    expect(body).toContain("admin:&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(body).toContain("Chain verified:</strong> all 4 records link and hash correctly");
  });

  it("pages back by seq: Older links to the records before the oldest shown, Newest back to the start", async () => {
    fx = await liveFixture({ engine });
    for (let i = 1; i <= 120; i++)
      await fx.deps.audit.append({ actor: "controller", action: "host.resync", target: `h${i}` });
    const first = bodyOf(await page.handle(request("/audit"), fx.deps));
    expect(rows(first)).toEqual(Array.from({ length: 50 }, (_, i) => 120 - i));
    expect(first).toContain('<a href="/audit?before=71&amp;limit=50" rel="next">Older</a>');
    expect(first).not.toContain(">Newest</a>");
    const second = bodyOf(await page.handle(request("/audit?before=71&limit=50"), fx.deps));
    expect(rows(second)).toEqual(Array.from({ length: 50 }, (_, i) => 70 - i));
    expect(second).toContain('<a href="/audit?limit=50">Newest</a>');
    const last = bodyOf(await page.handle(request("/audit?before=21&limit=50"), fx.deps));
    expect(rows(last)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(last).not.toContain(">Older</a>");
    const bad = await page.handle(request("/audit?before=x"), fx.deps);
    expect(bad).toMatchObject({ kind: "page", status: 400 });
    expect(bodyOf(bad)).toContain("before &quot;x&quot; must be a positive whole number");
  });

  it("shows where the chain breaks when a record was edited behind the log's back", async () => {
    fx = await liveFixture({ engine });
    for (let i = 1; i <= 5; i++)
      await fx.deps.audit.append({ actor: "controller", action: "host.resync", target: `h${i}` });
    expect(bodyOf(await page.handle(request("/audit"), fx.deps))).toContain("Chain verified:</strong> all 5 records");
    await fx.db.exec(
      engine === "postgres" ? "DROP TRIGGER audit_log_no_update ON audit_log" : "DROP TRIGGER audit_log_no_update",
    );
    await fx.db.run("UPDATE audit_log SET target = 'h-forged' WHERE seq = 3");
    const body = bodyOf(await page.handle(request("/audit?verify=now"), fx.deps));
    expect(body).toContain('<p class="verification broken" role="alert"><strong>Chain broken at record 3:</strong>');
    expect(body).toContain("(3 records checked");
  });
});
