import { afterEach, describe, expect, it } from "vitest";
import type { FleetTrendPoint, HostComplianceJson } from "../../../controller/compliance/index.js";
import { ComplianceTally, SnapshotStore } from "../../../controller/compliance/index.js";
import { validateAgentEvent } from "../../../controller/agent-messages/index.js";
import { reportMsg } from "../ingest/fixtures.js";
import { LIVE_ROUTES, trendChart } from "../../../controller/web/live/index.js";
import { policyRows } from "../../../controller/web/live/compliance-page.js";
import { policyYaml } from "../policies/fixtures.js";
import { bodyOf, liveFixture, request, routeOf, type LiveFixture } from "./live-deps.js";
import { ENGINES } from "../../harness/postgres.js";

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

describe.each(ENGINES)("SnapshotStore.trend on %s", (engine) => {
  it("returns the fleet block of the snapshots in the range, oldest first, thinned to the points asked with the newest kept", async () => {
    fx = await liveFixture({ engine });
    const snapshots = new SnapshotStore(fx.db);
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
  it("counts each policy's hosts by status and its resources; a policy no host holds is 100 %", async () => {
    const host = (name: string, status: "compliant" | "drifted" | "failed", drift = 0): HostComplianceJson => ({
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
    const hosts = [host("a", "compliant"), host("b", "compliant"), host("c", "drifted", 2), host("d", "failed")];
    const tally = new ComplianceTally(
      { names: async () => hosts.map((h) => h.name), host: async (n) => hosts.find((h) => h.name === n) },
      { chunk: 10, reconcileEveryMs: 600_000 },
    );
    await tally.update();
    expect(policyRows(tally.counts(), ["idle", "web"])).toEqual([
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

describe.each(ENGINES)("GET /compliance on %s", (engine) => {
  it("draws the trend of the stored snapshots and lists the policies now", async () => {
    fx = await liveFixture({ engine, hosts: ["kvm01", "kvm02"], policies: { "web.yaml": policyYaml("web") } });
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
    expect(body).toMatch(/last full recount <time/);
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

describe.each(ENGINES)("GET /compliance counts from the tally on %s", (engine) => {
  // Rows of the page's policy table: name, hosts, then each status, the percentage, resources.
  const tableRows = (body: string) =>
    [...body.matchAll(/<tr><td><a href="\/rollouts\/[^"]+">([^<]+)<\/a><\/td>((?:<td>[^<]*<\/td>)+)<\/tr>/g)].map((m) =>
      [m[1], ...[...m[2]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1])].join(" | "),
    );
  // The same rows computed from the whole document (ComplianceService.current), as the page did before.
  const expectedRows = async (f: LiveFixture) => {
    const report = await f.deps.compliance.current();
    const rows = new Map<string, { hosts: number; s: Record<string, number>; r: number[] }>();
    for (const h of report.hosts)
      for (const p of h.policies) {
        let row = rows.get(p.name);
        if (!row)
          rows.set(
            p.name,
            (row = {
              hosts: 0,
              s: { compliant: 0, drifted: 0, failed: 0, pending: 0, "pending-restart": 0 },
              r: [0, 0, 0],
            }),
          );
        row.hosts += 1;
        row.s[p.status]! += 1;
        row.r[0]! += p.resources.ok;
        row.r[1]! += p.resources.drift;
        row.r[2]! += p.resources.failed;
      }
    const lines = [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, row]) =>
        [
          name,
          row.hosts,
          row.s.compliant,
          row.s.drifted,
          row.s.failed,
          row.s.pending,
          row.s["pending-restart"],
          `${row.hosts === 0 ? 100 : Math.round((row.s.compliant! / row.hosts) * 1000) / 10}%`,
          row.r.join(" / "),
        ].join(" | "),
      );
    return { lines, fleet: report.fleet };
  };

  it("per-policy counts and the fleet figure equal compliance.current() for hosts in every state, and follow touches", async () => {
    const hosts = ["t-ok", "t-drift", "t-fail", "t-behind", "t-silent", "t-open", "t-restart", "t-unknown"];
    fx = await liveFixture({ engine, hosts, policies: { "web.yaml": policyYaml("web"), "db.yaml": policyYaml("db") } });
    const f = fx;
    const events = f.deps.events;
    const bundleStore = new (await import("../../../controller/bundles/index.js")).HostBundleStore(f.db);
    for (const h of hosts) {
      await f.hosts.inTransaction(async (tx) => {
        await bundleStore.save(
          h,
          {
            revision: h === "t-behind" ? "b2" : "b1",
            policies: ["web", "db"].map((name) => ({
              name,
              revision: `${name}-1`,
              mode: "enforce",
              resolvedJson: "{}",
            })),
            problems: [],
            conflicts: [],
          } as unknown as Parameters<typeof bundleStore.save>[1],
          Date.now(),
          tx,
        );
      });
    }
    const resource = (policy: string, outcome: string, name = `${policy}1`) => ({
      kind: "domain",
      name,
      policy,
      outcome,
      changesJson: "[]",
      error: outcome === "failed" ? "boom" : "",
      pendingRestart: outcome === "pending-restart",
    });
    const report = async (host: string, outcomes: [string, string], behind = 0, seq = 1) => {
      const generation = ((await bundleStore.generationOf(host)) ?? 0) - behind;
      const msg = reportMsg({
        eventSeq: seq,
        generation,
        bundleRevision: "b1",
        resources: [resource("web", outcomes[0]), resource("db", outcomes[1])] as never,
      });
      await events.store([{ host, events: [validateAgentEvent(msg)] }], Date.now());
    };
    await report("t-ok", ["ok", "ok"]);
    await report("t-drift", ["drift", "ok"]);
    await report("t-fail", ["ok", "failed"]);
    await report("t-behind", ["ok", "ok"], 1); // its bundle's generation is higher: pending
    await report("t-open", ["ok", "ok"]);
    await f.drift("t-open", { policy: "web", kind: "domain", name: "web1", remediation: "reported" });
    await report("t-restart", ["pending-restart", "ok"]);
    await report("t-unknown", ["ok", "ok"]);
    f.deps.conditions.setStoreFailure("t-unknown", "disk full");

    const page1 = bodyOf(await page.handle(request("/compliance"), f.deps));
    const want1 = await expectedRows(f);
    expect(tableRows(page1)).toEqual(want1.lines);
    expect(page1).toContain(
      `Fleet: <strong>${want1.fleet.percent}%</strong> compliant, ${want1.fleet.compliant} of ${want1.fleet.hosts} hosts`,
    );
    // Every state is present: the comparison covers each status column.
    const statuses = (await f.deps.compliance.current()).hosts.flatMap((h) => h.policies.map((p) => p.status));
    for (const s of ["compliant", "drifted", "failed", "pending", "pending-restart"]) expect(statuses).toContain(s);

    // A change the tally is told of (as touchOnChanges does for an ingest batch) shows on the next page.
    await report("t-fail", ["ok", "ok"], 0, 5);
    f.deps.compliance.tally.touch("t-fail");
    const page2 = bodyOf(await page.handle(request("/compliance"), f.deps));
    const want2 = await expectedRows(f);
    expect(want2.lines).not.toEqual(want1.lines);
    expect(tableRows(page2)).toEqual(want2.lines);
  });
});
