import { afterEach, describe, expect, it } from "vitest";
import type { ComplianceReport, FleetTrendPoint } from "../../../controller/compliance/index.js";
import { SnapshotStore } from "../../../controller/compliance/index.js";
import { LIVE_ROUTES, trendChart } from "../../../controller/web/live/index.js";
import { policyRows } from "../../../controller/web/live/compliance-page.js";
import { policyYaml } from "../policies/fixtures.js";
import { bodyOf, liveFixture, request, routeOf, type LiveFixture } from "./live-deps.js";

const page = routeOf(LIVE_ROUTES, "GET", "/compliance");
const HOUR = 3_600_000;

let fx: LiveFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const point = (takenAt: number, percent: number): FleetTrendPoint => ({
  takenAt,
  hosts: 10,
  compliant: percent / 10,
  percent,
});
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe("trendChart", () => {
  const from = Date.UTC(2026, 0, 1);
  const to = from + 7 * 24 * HOUR;

  it("with no snapshots: labelled axes and a note that the range is empty", () => {
    const svg = trendChart([], from, to).value;
    expect(svg).toMatch(/^<svg class="trend-chart" viewBox="0 0 720 260"/);
    for (const p of [0, 25, 50, 75, 100]) expect(svg).toContain(`>${p}%</text>`);
    expect(svg).toContain(">01-01</text>");
    expect(svg).toContain(">01-08</text>");
    expect(svg).toContain("No compliance snapshots in this range</text>");
    expect(svg).not.toContain("<polyline");
    expect(svg).not.toContain("<circle");
  });

  it("with one snapshot: one marker with its value, no line", () => {
    const svg = trendChart([point(from + 24 * HOUR, 87.5)], from, to).value;
    expect(count(svg, /<circle /g)).toBe(1);
    expect(svg).not.toContain("<polyline");
    expect(svg).toContain(">87.5%</text>");
    expect(svg).toContain("<title>2026-01-02T00:00:00.000Z: 87.5% (8.75/10 hosts)</title>");
    expect(svg).toContain("1 snapshot; latest 87.5%, lowest 87.5%, highest 87.5%.");
  });

  it("with many snapshots: a line through all of them in time order, scaled to the range; markers only when few", () => {
    const few = Array.from({ length: 7 }, (_, i) => point(from + i * 24 * HOUR, i * 10));
    const svg = trendChart(few, from, to).value;
    const line = /<polyline [^>]*points="([^"]+)"/.exec(svg)?.[1]?.split(" ") ?? [];
    expect(line).toHaveLength(7);
    // x from the left edge of the plot (52) to 6/7 of its width (648); y from 0 % (the bottom, 216) up to 60 % (200 high).
    expect(line[0]).toBe("52,216");
    expect(line[6]).toBe(`${Math.round((52 + (6 / 7) * 648) * 10) / 10},${216 - 0.6 * 200}`);
    expect(count(svg, /<circle /g)).toBe(7);
    expect(svg).toContain("7 snapshots; latest 60%, lowest 0%, highest 60%.");
    const many = Array.from({ length: 300 }, (_, i) => point(from + i * HOUR, 50 + (i % 50)));
    const dense = trendChart(many, from, to).value;
    expect(/<polyline [^>]*points="([^"]+)"/.exec(dense)?.[1]?.split(" ")).toHaveLength(300);
    expect(dense).not.toContain("<circle");
  });

  it("short ranges label hours", () => {
    const svg = trendChart([], from, from + 24 * HOUR).value;
    expect(svg).toContain(">00:00</text>");
    expect(svg).toContain(">12:00</text>");
  });
});

describe("SnapshotStore.trend", () => {
  it("returns the fleet block of the snapshots in the range, oldest first, thinned to the points asked with the newest kept", async () => {
    fx = await liveFixture();
    const snapshots = new SnapshotStore(fx.store.db);
    const base = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 250; i++) {
      const report = {
        generatedAt: new Date(base + i * HOUR).toISOString(),
        fleet: { hosts: 4, compliant: i % 5, percent: (i % 5) * 25 },
        hosts: [],
      };
      await snapshots.save(base + i * HOUR, JSON.stringify(report));
    }
    const all = await snapshots.trend(base, base + 1_000 * HOUR);
    expect(all).toHaveLength(250);
    expect(all[0]).toEqual({ takenAt: base, hosts: 4, compliant: 0, percent: 0 });
    expect(all.at(-1)).toEqual({ takenAt: base + 249 * HOUR, hosts: 4, compliant: 4, percent: 100 });
    const range = await snapshots.trend(base + 10 * HOUR, base + 19 * HOUR);
    expect(range.map((p) => p.takenAt)).toEqual(Array.from({ length: 10 }, (_, i) => base + (10 + i) * HOUR));
    const thin = await snapshots.trend(base, base + 1_000 * HOUR, 100);
    expect(thin.length).toBeLessThanOrEqual(100);
    expect(thin.length).toBeGreaterThanOrEqual(80);
    expect(thin.at(-1)?.takenAt).toBe(base + 249 * HOUR);
    expect([...thin].sort((a, b) => a.takenAt - b.takenAt)).toEqual(thin);
    expect(await snapshots.trend(base - 10 * HOUR, base - HOUR)).toEqual([]);
  });
});

describe("policyRows", () => {
  it("counts each policy's hosts by status and its resources; a policy no host holds is 100 %", () => {
    const host = (name: string, status: "compliant" | "drifted" | "failed", drift = 0) => ({
      name,
      compliant: status === "compliant",
      connected: true,
      generation: 1,
      observedGeneration: 1,
      policies: [
        {
          name: "web",
          revision: "r1",
          status,
          resources: { ok: 3, drift, failed: status === "failed" ? 1 : 0, pendingRestart: 0 },
        },
      ],
    });
    const report: ComplianceReport = {
      generatedAt: new Date(0).toISOString(),
      fleet: { hosts: 4, compliant: 2, percent: 50 },
      hosts: [host("a", "compliant"), host("b", "compliant"), host("c", "drifted", 2), host("d", "failed")],
    };
    expect(policyRows(report, ["idle", "web"])).toEqual([
      {
        name: "idle",
        hosts: 0,
        byStatus: { compliant: 0, drifted: 0, failed: 0, pending: 0, "pending-restart": 0 },
        resources: { ok: 0, drift: 0, failed: 0, pendingRestart: 0 },
        percent: 100,
      },
      {
        name: "web",
        hosts: 4,
        byStatus: { compliant: 2, drifted: 1, failed: 1, pending: 0, "pending-restart": 0 },
        resources: { ok: 12, drift: 2, failed: 1, pendingRestart: 0 },
        percent: 50,
      },
    ]);
  });
});

describe("GET /compliance", () => {
  it("draws the trend of the stored snapshots and lists the policies now", async () => {
    fx = await liveFixture({ hosts: ["kvm01", "kvm02"], policies: { "web.yaml": policyYaml("web") } });
    const empty = bodyOf(await page.handle(request("/compliance"), fx.deps));
    expect(empty).toContain("No compliance snapshots in this range");
    await fx.deps.compliance.snapshot();
    const res = await page.handle(request("/compliance"), fx.deps);
    expect(res).toMatchObject({ kind: "page", title: "Compliance" });
    const body = bodyOf(res);
    expect(count(body, /<circle /g)).toBe(1);
    expect(body).toMatch(
      /<p class="fleet-summary">Fleet: <strong>[\d.]+%<\/strong> compliant, \d+ of 2 hosts, at <time/,
    );
    expect(body).toContain('<td><a href="/rollouts/web">web</a></td>');
    expect(body).toContain('<strong aria-current="true">7 days</strong>');
    expect(body).toContain('<a href="/compliance?range=24h">24 hours</a>');
    const day = bodyOf(await page.handle(request("/compliance?range=24h"), fx.deps));
    expect(day).toContain('<strong aria-current="true">24 hours</strong>');
    const bad = await page.handle(request("/compliance?range=<b>"), fx.deps);
    expect(bad).toMatchObject({ kind: "page", status: 400 });
    expect(bodyOf(bad)).toContain("range &quot;&lt;b&gt;&quot; is not one of 7d, 24h, 30d, 90d");
  });
});
