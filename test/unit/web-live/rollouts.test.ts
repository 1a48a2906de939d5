import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Engine, silentLogger } from "../../../common/index.js";
import { rolloutAdminHandlers } from "../../../controller/admin/index.js";
import type { Rollout } from "../../../controller/rollout/index.js";
import { LIVE_ROUTES } from "../../../controller/web/live/index.js";
import { rolloutLive } from "../../../controller/web/live/rollout-view.js";
import { policyYaml } from "../policies/fixtures.js";
import { bodyOf, liveFixture, OPERATOR, request, routeOf, VIEWER, type LiveFixture } from "./live-deps.js";
import { ENGINES } from "../../harness/postgres.js";

const list = routeOf(LIVE_ROUTES, "GET", "/rollouts");
const detail = routeOf(LIVE_ROUTES, "GET", "/rollouts/:policy");
const post = (c: string) => routeOf(LIVE_ROUTES, "POST", `/rollouts/:policy/${c}`);
const EVIL = `<script>alert("x")</script>`;

let fx: LiveFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** A controller with policy `web` rolling out to kvm01..kvm03 (canary kvm01 waiting: no agent is connected). */
async function rolling(engine: Engine, extraHosts: string[] = []): Promise<{ fx: LiveFixture; rollout: Rollout }> {
  const f = await liveFixture({
    engine,
    hosts: ["kvm01", "kvm02", "kvm03", ...extraHosts],
    policies: { "web.yaml": policyYaml("web") },
  });
  fx = f;
  let r: Rollout | undefined;
  await vi.waitFor(async () => {
    r = await f.deps.rollouts.rolloutOf("web");
    expect(r?.stages[1]?.state).toBe("waiting");
  });
  return { fx: f, rollout: r! };
}

function buttonOf(body: string, command: string): string {
  const m = new RegExp(`<button [^>]*formaction="/rollouts/web/${command}"[^>]*>`).exec(body);
  if (!m) throw new Error(`no ${command} button in ${body}`);
  return m[0];
}

describe("every live route", () => {
  it("reads as viewer; the POST routes need operator and name their audit action and target", () => {
    for (const r of LIVE_ROUTES) {
      if (r.method === "GET") {
        expect(r.role, r.path).toBe("viewer");
        expect(r.action, r.path).toBeUndefined();
      } else {
        expect(r.role, r.path).toBe("operator");
        const command = r.path.split("/").at(-1);
        expect(r.action?.(request(r.path, { method: "POST", params: { policy: "web" } }))).toEqual({
          action: `rollout.${command}`,
          target: "web",
        });
      }
    }
    expect(LIVE_ROUTES.filter((r) => r.method === "POST").map((r) => r.path)).toEqual([
      "/rollouts/:policy/pause",
      "/rollouts/:policy/resume",
      "/rollouts/:policy/abort",
      "/rollouts/:policy/rollback",
    ]);
  });
});

describe.each(ENGINES)("GET /rollouts on %s", (engine) => {
  it("lists each policy's newest rollout with state, revisions, active stage and progress, polled as a fragment", async () => {
    const { fx, rollout } = await rolling(engine);
    const body = bodyOf(await list.handle(request("/rollouts"), fx.deps));
    expect(body).toContain('<a href="/rollouts/web">web</a>');
    expect(body).toContain(`<td>running</td><td>(none) → ${rollout.toRevision.slice(0, 12)}</td>`);
    expect(body).toContain("<td>1 of 3 (canary, waiting)</td><td>0/3</td><td>0</td>");
    expect(body).toContain('hx-get="/rollouts?part=live" hx-trigger="every 2s" hx-swap="outerHTML"');
    const part = await list.handle(request("/rollouts?part=live"), fx.deps);
    expect(part.kind).toBe("fragment");
    expect(bodyOf(part)).toMatch(/^<section id="rollouts-live"/);
  });
});

describe.each(ENGINES)("GET /rollouts/:policy on %s", (engine) => {
  it("shows state, stages with their hosts and phases, and the control form with the session's CSRF token", async () => {
    const { fx } = await rolling(engine);
    const res = await detail.handle(
      request("/rollouts/web", { params: { policy: "web" }, session: OPERATOR }),
      fx.deps,
    );
    expect(res).toMatchObject({ kind: "page", title: "Rollout of web" });
    const body = bodyOf(res);
    expect(body).toContain(
      '<form id="rollout-control" class="rollout-control" method="post" action="/rollouts/web/pause">',
    );
    expect(body).toContain('<input type="hidden" name="csrf" value="csrf-operator">');
    expect(body).toContain('<strong class="state">RUNNING</strong>');
    expect(body).toMatch(
      /<tr class="stage stage-waiting active"><td>1<\/td><td>canary<\/td><td>waiting<\/td><td>running for [^<]+<\/td>/,
    );
    expect(body).toContain(
      '<li class="phase-offline offline" title="offline"><a href="/hosts/kvm01">kvm01</a> ⌁ <small>offline</small></li>',
    );
    expect(body).toContain("1 host: 1 pending");
    expect(body).toContain("No host failed.");
    expect(body).toContain('hx-get="/rollouts/web?part=live" hx-trigger="every 1s" hx-swap="outerHTML"');
    // Operator: the commands that apply are enabled, the others disabled with the reason.
    expect(buttonOf(body, "pause")).not.toContain("disabled");
    expect(buttonOf(body, "abort")).not.toContain("disabled");
    expect(buttonOf(body, "rollback")).not.toContain("disabled");
    expect(buttonOf(body, "resume")).toContain('title="not possible while the rollout is running" disabled');
    const part = await detail.handle(request("/rollouts/web?part=live", { params: { policy: "web" } }), fx.deps);
    expect(part.kind).toBe("fragment");
    expect(bodyOf(part)).toMatch(/^<section id="rollout-live"/);
  });

  it("renders every button disabled for a viewer, saying the operator role is needed", async () => {
    const { fx } = await rolling(engine);
    const body = bodyOf(
      await detail.handle(request("/rollouts/web", { params: { policy: "web" }, session: VIEWER }), fx.deps),
    );
    for (const c of ["pause", "resume", "abort", "rollback"])
      expect(buttonOf(body, c)).toContain('title="needs the operator role (you are viewer)" disabled');
    expect(body).toContain('<input type="hidden" name="csrf" value="csrf-viewer">');
  });

  it("answers an unknown policy with 404 naming it", async () => {
    const { fx } = await rolling(engine);
    const res = await detail.handle(request("/rollouts/nosuch", { params: { policy: "nosuch" } }), fx.deps);
    expect(res).toMatchObject({ kind: "page", status: 404 });
    expect(bodyOf(res)).toContain("unknown policy &quot;nosuch&quot;");
  });

  it("shows soak clocks and failures with their messages, escaping hostile host names and messages", async () => {
    const { fx } = await rolling(engine, [EVIL]);
    const r = structuredClone((await fx.deps.rollouts.rolloutOf("web"))!);
    const now = Date.now();
    const canary = r.stages[1]!;
    canary.state = "soaking";
    canary.soakUntil = now + 90_000;
    const evilHost = r.hosts[EVIL]!;
    evilHost.phase = "failed";
    evilHost.failedAt = now - 1_000;
    evilHost.reason = `domain web1: <img src=x onerror=alert(1)> failed`;
    r.reason = `<b>paused</b> by ${EVIL}`;
    const body = rolloutLive(r, OPERATOR, now).value;
    expect(body).toContain("soaking: 1m30s left");
    expect(body).toContain("&lt;img src=x onerror=alert(1)&gt; failed");
    expect(body).toContain(
      `<a href="/hosts/${encodeURIComponent(EVIL)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a>`,
    );
    expect(body).toContain("&lt;b&gt;paused&lt;/b&gt;");
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("<img");
    expect(body).not.toContain("<b>");
  });
});

describe.each(ENGINES)("POST /rollouts/:policy/(pause|resume|abort|rollback) on %s", (engine) => {
  it("pause and resume go through the rollout runner and redirect back to the rollout", async () => {
    const { fx } = await rolling(engine);
    const form = { csrf: OPERATOR.csrf, reason: "checking latency" };
    const paused = await post("pause").handle(
      request("/rollouts/web/pause", { method: "POST", params: { policy: "web" }, form, session: OPERATOR }),
      fx.deps,
    );
    expect(paused).toEqual({ kind: "redirect", location: "/rollouts/web" });
    expect(await fx.deps.rollouts.rolloutOf("web")).toMatchObject({ state: "paused", reason: "checking latency" });
    const page = bodyOf(
      await detail.handle(request("/rollouts/web", { params: { policy: "web" }, session: OPERATOR }), fx.deps),
    );
    expect(buttonOf(page, "resume")).not.toContain("disabled");
    expect(buttonOf(page, "pause")).toContain("disabled");
    expect(page).toContain('<span class="reason">checking latency</span>');
    const resumed = await post("resume").handle(
      request("/rollouts/web/resume", {
        method: "POST",
        params: { policy: "web" },
        form: { csrf: OPERATOR.csrf },
        session: OPERATOR,
      }),
      fx.deps,
    );
    expect(resumed).toEqual({ kind: "redirect", location: "/rollouts/web" });
    expect((await fx.deps.rollouts.rolloutOf("web"))?.state).toBe("running");
  });

  it("refuses a command the rollout's state does not allow (409) and an unknown policy (404), saying why", async () => {
    const { fx } = await rolling(engine);
    const refused = await post("resume").handle(
      request("/rollouts/web/resume", { method: "POST", params: { policy: "web" }, session: OPERATOR }),
      fx.deps,
    );
    expect(refused).toMatchObject({ kind: "page", status: 409, title: "Cannot resume the rollout" });
    expect(bodyOf(refused)).toContain("rollout of web is running; only a paused rollout can resume");
    expect(bodyOf(refused)).toContain('<a href="/rollouts/web">');
    expect((await fx.deps.rollouts.rolloutOf("web"))?.state).toBe("running");
    const unknown = await post("abort").handle(
      request("/rollouts/nosuch/abort", { method: "POST", params: { policy: "nosuch" }, session: OPERATOR }),
      fx.deps,
    );
    expect(unknown).toMatchObject({ kind: "page", status: 404 });
    expect(bodyOf(unknown)).toContain("unknown policy &quot;nosuch&quot;");
  });

  it("abort ends the rollout; the admin API's ControlRollout (same code) then refuses a second abort with the same words", async () => {
    const { fx } = await rolling(engine);
    await post("abort").handle(
      request("/rollouts/web/abort", { method: "POST", params: { policy: "web" }, session: OPERATOR }),
      fx.deps,
    );
    expect((await fx.deps.rollouts.rolloutOf("web"))?.state).toBe("aborted");
    const handlers = rolloutAdminHandlers({
      runner: fx.deps.rollouts,
      policies: fx.deps.policies,
      plan: () => Promise.reject(new Error("not used")),
      planRemoval: () => Promise.reject(new Error("not used")),
      log: silentLogger(),
    });
    const call = (policy: string, action: string) =>
      new Promise<{ err: Partial<grpc.StatusObject> | null }>((resolve) => {
        const unary = handlers.ControlRollout as unknown as (
          c: { request: { policy: string; action: string; reason: string } },
          cb: (err: Partial<grpc.StatusObject> | null) => void,
        ) => void;
        unary({ request: { policy, action, reason: "" } }, (err) => resolve({ err }));
      });
    expect((await call("web", "abort")).err).toEqual({
      code: grpc.status.FAILED_PRECONDITION,
      details: "rollout of web is aborted and has already ended; nothing to abort",
    });
    const page = await post("abort").handle(
      request("/rollouts/web/abort", { method: "POST", params: { policy: "web" }, session: OPERATOR }),
      fx.deps,
    );
    expect(bodyOf(page)).toContain("rollout of web is aborted and has already ended; nothing to abort");
    expect((await call("web", "explode")).err).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'unknown rollout action "explode"; use one of pause, resume, abort, rollback',
    });
    expect((await call("nosuch", "pause")).err).toEqual({
      code: grpc.status.NOT_FOUND,
      details: 'unknown policy "nosuch"; see `virtfleet policies`',
    });
  });
});
