import { afterEach, describe, expect, it, vi } from "vitest";
import type { DriftView } from "../../../controller/agent-messages/index.js";
import { DriftStream, LIVE_ROWS_KEPT, LIVE_ROWS_PER_SECOND, LIVE_ROUTES } from "../../../controller/web/live/index.js";
import { bodyOf, liveFixture, request, routeOf, type LiveFixture } from "./live-deps.js";
import { ENGINES } from "../../harness/postgres.js";

const page = routeOf(LIVE_ROUTES, "GET", "/drift");
const events = routeOf(LIVE_ROUTES, "GET", "/drift/events");

let fx: LiveFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const EVIL = `<script>alert("x")</script>`;

describe.each(ENGINES)("GET /drift on %s", (engine) => {
  it("lists drift newest first with host, policy, resource, fields desired → actual, source, remediation and times", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01", "kvm02"] });
    await fx.drift("kvm01", { id: "d-old", name: "web1", detectedAtMs: 1_000_000 });
    await fx.drift("kvm02", {
      id: "d-new",
      policy: "db",
      kind: "network",
      name: "net1",
      fields: [{ field: "bridge", desiredJson: '"vfbr1"', actualJson: '"vfbr2"' }],
      detectedAtMs: 2_000_000,
      source: "resync",
      remediation: "repaired",
      resolvedAtMs: 2_000_500,
    });
    const body = bodyOf(await page.handle(request("/drift"), fx.deps));
    expect(body.indexOf('id="drift-d-new"')).toBeGreaterThan(-1);
    expect(body.indexOf('id="drift-d-new"')).toBeLessThan(body.indexOf('id="drift-d-old"'));
    expect(body).toContain('<a href="/hosts/kvm02">kvm02</a>');
    expect(body).toContain("<td>db</td><td>network/net1</td>");
    expect(body).toContain("<code>bridge</code>: &quot;vfbr1&quot; → &quot;vfbr2&quot;");
    expect(body).toContain("<code>state</code>: &quot;running&quot; → &quot;shutoff&quot;");
    expect(body).toContain("<td>resync</td><td>repaired <small>(corrective)</small></td>");
    expect(body).toContain('<time datetime="1970-01-01T00:33:20.500Z">');
    expect(body).toMatch(/<td>reported <small>\(corrective\)<\/small><\/td><td>open<\/td>/);
    // Live: the stream is told the newest row the page shows.
    expect(body).toContain('hx-ext="sse" sse-connect="/drift/events?after=2000000"');
    expect(body).toContain('sse-swap="drift" hx-swap="afterbegin"');
  });

  it("filters by host and since; an unknown host is 404 and a bad since 400, both saying why", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01", "kvm02"] });
    const now = Date.now();
    await fx.drift("kvm01", { id: "d-a", detectedAtMs: now - 3 * 3_600_000 });
    await fx.drift("kvm01", { id: "d-b", detectedAtMs: now - 60_000 });
    await fx.drift("kvm02", { id: "d-c", detectedAtMs: now - 60_000 });
    const byHost = bodyOf(await page.handle(request("/drift?host=kvm01"), fx.deps));
    expect(byHost).toContain("drift-d-a");
    expect(byHost).toContain("drift-d-b");
    expect(byHost).not.toContain("drift-d-c");
    expect(byHost).toContain("host=kvm01");
    const recent = bodyOf(await page.handle(request("/drift?host=kvm01&since=1h"), fx.deps));
    expect(recent).toContain("drift-d-b");
    expect(recent).not.toContain("drift-d-a");
    const unknown = await page.handle(request("/drift?host=nosuch"), fx.deps);
    expect(unknown).toMatchObject({ kind: "page", status: 404 });
    expect(bodyOf(unknown)).toContain("host &quot;nosuch&quot; is not enrolled");
    const bad = await page.handle(request("/drift?since=yesterday"), fx.deps);
    expect(bad).toMatchObject({ kind: "page", status: 400 });
    expect(bodyOf(bad)).toContain("since &quot;yesterday&quot; is neither an ISO 8601 time nor a duration");
    const limited = bodyOf(await page.handle(request("/drift?limit=1"), fx.deps));
    expect(limited.match(/<tr id="drift-/g)).toHaveLength(1);
  });

  it("escapes hostile host names, resource names, values and details", async () => {
    fx = await liveFixture({ engine, hosts: [EVIL] });
    await fx.drift(EVIL, {
      id: "hostile-1",
      policy: `p"><script>2</script>`,
      name: "web1",
      fields: [
        { field: "description", desiredJson: JSON.stringify(EVIL), actualJson: '"<img src=x onerror=alert(1)>"' },
      ],
      detail: `<b onmouseover="alert(1)">`,
    });
    const body = bodyOf(await page.handle(request(`/drift?host=${encodeURIComponent(EVIL)}`), fx.deps));
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("<img");
    expect(body).not.toContain("<b onmouseover");
    expect(body).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(body).toContain(`href="/hosts/${encodeURIComponent(EVIL)}"`);
    expect(body).toContain("<td>p&quot;&gt;&lt;script&gt;2&lt;/script&gt;</td>");
  });
});

function collector() {
  const sent: { event: string; data: string }[] = [];
  return { sent, send: (event: string, data: string) => void sent.push({ event, data }) };
}

describe.each(ENGINES)("GET /drift/events on %s", (engine) => {
  it("sends each drift published on the feed as a rendered row, and stops (unsubscribed) when the request aborts", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01", "kvm02"] });
    const abort = new AbortController();
    const res = await events.handle(request(`/drift/events?after=${Date.now()}`, { signal: abort.signal }), fx.deps);
    if (res.kind !== "events") throw new Error(`expected events, got ${res.kind}`);
    const { sent, send } = collector();
    let ended = false;
    const streaming = res.stream(send, abort.signal).then(() => {
      ended = true;
    });
    await vi.waitFor(() => expect(fx?.deps.feed.size).toBe(1));
    await fx.drift("kvm02", { id: "live-1", name: "guest7", detectedAtMs: Date.now() + 1_000 });
    await vi.waitFor(() => expect(sent.filter((s) => s.event === "drift")).toHaveLength(1));
    const row = sent.find((s) => s.event === "drift")!.data;
    expect(row).toMatch(/^<tr id="drift-live-1" class="drift remediation-reported open">/);
    expect(row).toContain("<td>domain/guest7</td>");
    expect(row).not.toContain("hx-swap-oob");
    // The same event changing (repaired, resolved): the old row is removed, the new one put on top.
    await fx.drift("kvm02", {
      id: "live-1",
      name: "guest7",
      remediation: "repaired",
      resolvedAtMs: Date.now() + 2_000,
    });
    await vi.waitFor(() => expect(sent.filter((s) => s.event === "drift")).toHaveLength(2));
    expect(sent.filter((s) => s.event === "drift")[1]!.data).toMatch(
      /^<tr id="drift-live-1" hx-swap-oob="delete"><\/tr><tr id="drift-live-1" class="drift remediation-repaired">/,
    );
    expect(ended).toBe(false);
    abort.abort();
    await streaming;
    expect(ended).toBe(true);
    expect(fx.deps.feed.size).toBe(0);
    await fx.drift("kvm02", { id: "live-2", detectedAtMs: Date.now() + 3_000 });
    expect(sent.filter((s) => s.event === "drift")).toHaveLength(2);
  });

  it("follows only its host; first sends what was stored after the page's newest row and before it subscribed", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01", "kvm02"] });
    const after = Date.now();
    await fx.drift("kvm01", { id: "before-page", detectedAtMs: after - 10 });
    await fx.drift("kvm01", { id: "in-between", detectedAtMs: after + 10 });
    const abort = new AbortController();
    const res = await events.handle(
      request(`/drift/events?host=kvm01&after=${after}`, { signal: abort.signal }),
      fx.deps,
    );
    if (res.kind !== "events") throw new Error(`expected events, got ${res.kind}`);
    const { sent, send } = collector();
    const streaming = res.stream(send, abort.signal);
    await vi.waitFor(() => expect(sent.map((s) => s.data).join("")).toContain("drift-in-between"));
    await fx.drift("kvm02", { id: "other-host", detectedAtMs: after + 20 });
    await fx.drift("kvm01", { id: "mine", detectedAtMs: after + 30 });
    await vi.waitFor(() => expect(sent.map((s) => s.data).join("")).toContain("drift-mine"));
    const all = sent.map((s) => s.data).join("");
    expect(all).not.toContain("drift-before-page");
    expect(all).not.toContain("drift-other-host");
    abort.abort();
    await streaming;
    expect(fx.deps.feed.size).toBe(0);
  });

  it("answers 404 for an unknown host and ends at once for an aborted request", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01"] });
    expect(await events.handle(request("/drift/events?host=nosuch"), fx.deps)).toMatchObject({
      kind: "fragment",
      status: 404,
    });
    const abort = new AbortController();
    abort.abort();
    const res = await events.handle(request("/drift/events", { signal: abort.signal }), fx.deps);
    if (res.kind !== "events") throw new Error("expected events");
    await res.stream(() => {}, abort.signal);
    expect(fx.deps.feed.size).toBe(0);
  });

  it("ends and unsubscribes when a write fails (the client went away)", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01"] });
    const abort = new AbortController();
    const res = await events.handle(request(`/drift/events?after=${Date.now()}`, { signal: abort.signal }), fx.deps);
    if (res.kind !== "events") throw new Error("expected events");
    const streaming = res.stream(() => {
      throw new Error("socket closed");
    }, abort.signal);
    await vi.waitFor(() => expect(fx?.deps.feed.size).toBe(1));
    await fx.drift("kvm01", { id: "boom", detectedAtMs: Date.now() + 1_000 });
    await streaming;
    expect(fx.deps.feed.size).toBe(0);
  });
});

function view(id: string, detectedAt: number): DriftView {
  return {
    id,
    host: "kvm01",
    eventSeq: 1,
    policy: "web",
    kind: "domain",
    name: "web1",
    fields: [],
    detectedAt,
    source: "event",
    remediation: "reported",
    resolvedAt: null,
    classification: "corrective",
    detail: "",
  };
}

describe("DriftStream", () => {
  it("sends at most LIVE_ROWS_PER_SECOND rows a second and announces the rest once the second is over", async () => {
    vi.useFakeTimers();
    try {
      let now = 10_000;
      const { sent, send } = collector();
      const s = new DriftStream(send, 0, () => now);
      for (let i = 0; i < LIVE_ROWS_PER_SECOND + 7; i++) s.push(view(`r${i}`, 1_000 + i));
      expect(sent.filter((m) => m.event === "drift")).toHaveLength(LIVE_ROWS_PER_SECOND);
      expect(sent.filter((m) => m.event === "drift-gap")).toHaveLength(0);
      now += 1_000;
      vi.advanceTimersByTime(1_000);
      const gap = sent.filter((m) => m.event === "drift-gap");
      expect(gap).toHaveLength(1);
      expect(gap[0]!.data).toContain("7 drift events arrived faster than the live view shows");
      s.push(view("next", 2_000));
      expect(sent.at(-1)).toMatchObject({ event: "drift" });
      s.close();
      s.push(view("after-close", 3_000));
      expect(sent.at(-1)!.data).not.toContain("after-close");
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps at most LIVE_ROWS_KEPT of its rows on the page: the oldest is removed", () => {
    let now = 0;
    const { sent, send } = collector();
    const s = new DriftStream(send, 0, () => now);
    for (let i = 0; i <= LIVE_ROWS_KEPT; i++) {
      now += 1_000;
      s.push(view(`k${i}`, 1_000 + i));
    }
    const last = sent.at(-1)!.data;
    expect(last).toContain('<tr id="drift-k0" hx-swap-oob="delete"></tr>');
    expect(last).toContain(`<tr id="drift-k${LIVE_ROWS_KEPT}" class=`);
    expect(s.has("k0")).toBe(false);
  });

  it("removes a row the page may show (detected no later than its newest) before putting the new state on top", () => {
    const { sent, send } = collector();
    const s = new DriftStream(send, 5_000);
    s.push(view("on-page", 4_000));
    s.push(view("new", 6_000));
    expect(sent[0]!.data.startsWith('<tr id="drift-on-page" hx-swap-oob="delete"></tr>')).toBe(true);
    expect(sent[1]!.data.startsWith('<tr id="drift-new" class=')).toBe(true);
  });
});
