import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger, type Queryable } from "../../../common/index.js";
import {
  computeCompliance,
  ComplianceService,
  hostStatus,
  type HostComplianceInput,
} from "../../../controller/compliance/index.js";
import { validateAgentEvent } from "../../../controller/agent-messages/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { EventStore } from "../../../controller/ingest/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { driftMsg, reportMsg } from "../ingest/fixtures.js";

/** Enrols `hosts` as their first hello does (controller/hosts). */
async function enrol(db: Queryable, ...hosts: string[]): Promise<void> {
  const store = new HostStore(db);
  for (const name of hosts)
    await store.recordHello({
      name,
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: "f",
      sessionId: `s-${name}`,
      peer: "p",
      now: 1,
    });
}

/** Stores a bundle for `host` as controller/bundles does (through the portable Queryable: either engine). */
async function setBundle(
  db: Queryable,
  host: string,
  generation: number,
  revision: string,
  policies: { name: string; revision: string }[],
): Promise<void> {
  const bundleJson = JSON.stringify({
    revision,
    generation,
    policies: policies.map((p) => ({ ...p, mode: "enforce", resolvedJson: "{}" })),
  });
  await db.run(
    `INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at) VALUES (?, ?, ?, ?, NULL, '[]', 1)
     ON CONFLICT (host) DO UPDATE SET revision = excluded.revision, generation = excluded.generation, bundle_json = excluded.bundle_json`,
    [host, revision, generation, bundleJson],
  );
}

const host = (over: Partial<HostComplianceInput> = {}): HostComplianceInput => ({
  name: "kvm01",
  connected: true,
  observedGeneration: 2,
  lastReportAt: 1_000,
  bundle: { generation: 2, revision: "b2", policies: [{ name: "web", revision: "r1" }] },
  observedPolicies: new Map([["web", "r1"]]),
  resources: [{ policy: "web", kind: "domain", name: "web1", outcome: "ok", eventSeq: 5 }],
  openDrift: [],
  ...over,
});

const statusOf = (h: HostComplianceInput) => computeCompliance([h], 0).hosts[0]!.policies[0]!.status;

describe("computeCompliance", () => {
  it("produces the spec shape with fleet percentage", async () => {
    const r = computeCompliance(
      [
        host(),
        host({
          name: "kvm02",
          resources: [{ policy: "web", kind: "domain", name: "w", outcome: "drift", eventSeq: 1 }],
        }),
      ],
      0,
    );
    expect(r.fleet).toEqual({ hosts: 2, compliant: 1, percent: 50 });
    expect(r.hosts[0]).toMatchObject({
      name: "kvm01",
      compliant: true,
      policies: [
        {
          name: "web",
          revision: "r1",
          observedRevision: "r1",
          status: "compliant",
          resources: { ok: 1, drift: 0, failed: 0 },
        },
      ],
    });
    expect(r.hosts[1]).toMatchObject({
      compliant: false,
      policies: [{ status: "drifted", resources: { ok: 0, drift: 1, failed: 0 } }],
    });
  });

  it("a blocked or conflict resource counts as failed: the host is not compliant", () => {
    for (const outcome of ["blocked", "conflict"]) {
      const r = computeCompliance(
        [host({ resources: [{ policy: "web", kind: "pool", name: "images", outcome, eventSeq: 5 }] })],
        0,
      );
      expect(r.hosts[0]).toMatchObject({
        compliant: false,
        policies: [{ status: "failed", resources: { ok: 0, drift: 0, failed: 1 } }],
      });
    }
  });

  it("is pending before the first report or while the host is behind its bundle generation", async () => {
    expect(statusOf(host({ lastReportAt: null }))).toBe("pending");
    expect(statusOf(host({ observedGeneration: 1 }))).toBe("pending");
    expect(computeCompliance([host({ observedGeneration: 1 })], 0).hosts[0]!.compliant).toBe(false);
  });

  it("ranks failed over drifted, and counts open drift newer than the last report", async () => {
    expect(
      statusOf(
        host({
          resources: [
            { policy: "web", kind: "domain", name: "a", outcome: "failed", eventSeq: 1 },
            { policy: "web", kind: "domain", name: "b", outcome: "drift", eventSeq: 1 },
          ],
        }),
      ),
    ).toBe("failed");
    expect(
      statusOf(
        host({ openDrift: [{ policy: "web", kind: "domain", name: "web1", remediation: "reported", eventSeq: 6 }] }),
      ),
    ).toBe("drifted");
    expect(
      statusOf(
        host({ openDrift: [{ policy: "web", kind: "domain", name: "web1", remediation: "reported", eventSeq: 4 }] }),
      ),
    ).toBe("compliant");
    expect(
      statusOf(
        host({ openDrift: [{ policy: "web", kind: "domain", name: "web1", remediation: "repaired", eventSeq: 6 }] }),
      ),
    ).toBe("compliant");
    expect(
      statusOf(
        host({ openDrift: [{ policy: "web", kind: "domain", name: "web1", remediation: "failed", eventSeq: 6 }] }),
      ),
    ).toBe("failed");
  });

  it("treats a host without policies as compliant and an empty fleet as 100%", async () => {
    expect(computeCompliance([host({ bundle: null })], 0).hosts[0]).toMatchObject({ compliant: true, policies: [] });
    expect(computeCompliance([], 0).fleet).toEqual({ hosts: 0, compliant: 0, percent: 100 });
  });
});

describe.each(ENGINES)("ComplianceService (store, %s)", (engine) => {
  let t: TestStore;
  let db: Queryable;
  beforeEach(async () => {
    t = await openTestStore(engine);
    db = t.db;
  });
  afterEach(async () => {
    await t.close();
  });

  it("lists each host's policies from its own bundle revision (hosts sharing a revision share the list)", async () => {
    await enrol(db, "kvm01", "kvm02", "kvm03");
    await setBundle(db, "kvm01", 1, "b1", [{ name: "web", revision: "r-web" }]);
    await setBundle(db, "kvm02", 3, "b1", [{ name: "web", revision: "r-web" }]);
    await setBundle(db, "kvm03", 2, "b2", [
      { name: "db", revision: "r-db" },
      { name: "web", revision: "r-web2" },
    ]);
    const r = await new ComplianceService(db, silentLogger(), undefined, () => 1).current();
    expect(r.hosts.map((h) => [h.name, h.policies.map((p) => `${p.name}@${p.revision}`)])).toEqual([
      ["kvm01", ["web@r-web"]],
      ["kvm02", ["web@r-web"]],
      ["kvm03", ["db@r-db", "web@r-web2"]],
    ]);
  });

  it("computes from stored reports, bundles and drift; snapshots answer `at`", async () => {
    await enrol(db, "kvm01", "kvm02");
    await setBundle(db, "kvm01", 1, "b1", [{ name: "web", revision: "r-web" }]);
    await setBundle(db, "kvm02", 1, "b9", [{ name: "web", revision: "r-web" }]);
    const events = new EventStore(db);
    await events.store(
      [{ host: "kvm01", events: [validateAgentEvent(reportMsg()), validateAgentEvent(driftMsg())] }],
      1,
    );
    let now = 10_000;
    const svc = new ComplianceService(db, silentLogger(), undefined, () => now);
    const r = await svc.current();
    expect(r.hosts.map((h) => [h.name, h.policies[0]?.status])).toEqual([
      ["kvm01", "drifted"],
      ["kvm02", "pending"],
    ]);
    expect(r.hosts[0]!.policies[0]).toMatchObject({
      revision: "r-web",
      observedRevision: "r-web",
      resources: { ok: 0, drift: 1, failed: 0 },
    });
    expect((await svc.summariesOf(["kvm01", "nobody"])).get("kvm01")).toEqual({
      compliant: false,
      policies: 1,
      drifted: 1,
    });
    // More names than the per-host reads cover: read from the whole fleet, the same summaries.
    const many = ["kvm01", "kvm02", ...Array.from({ length: 30 }, (_, i) => `nobody${i}`)];
    const fromFleet = await svc.summariesOf(many);
    expect([...fromFleet.keys()].sort()).toEqual(["kvm01", "kvm02"]);
    expect(fromFleet.get("kvm01")).toEqual((await svc.summariesOf(["kvm01"])).get("kvm01"));
    expect(fromFleet.get("kvm02")).toEqual((await svc.summariesOf(["kvm02"])).get("kvm02"));
    await svc.snapshot();
    now = 20_000;
    expect(JSON.parse(await svc.at(15_000)).generatedAt).toBe(new Date(10_000).toISOString());
    await expect(svc.at(5_000)).rejects.toThrow(/no compliance snapshot at or before/);
  });

  it("the tally's full pass agrees with the document; on PostgreSQL it reads the fleet in a few statements", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `kvm${String(i).padStart(2, "0")}`);
    await enrol(db, ...names);
    for (const [i, name] of names.entries())
      if (i % 3 !== 0) await setBundle(db, name, 1, `b${i % 2}`, [{ name: "web", revision: "r-web" }]);
    await new EventStore(db).store(
      [{ host: "kvm01", events: [validateAgentEvent(reportMsg()), validateAgentEvent(driftMsg())] }],
      1,
    );
    const counted = countingQueryable(db);
    const svc = new ComplianceService(counted.db, silentLogger(), undefined, () => 10_000);
    await svc.tally.update();
    const statements = counted.statements;
    const doc = await svc.current();
    const tallied = Object.fromEntries([...svc.tally.entries()].map(([name, h]) => [name, h.status]));
    expect(tallied).toEqual(Object.fromEntries(doc.hosts.map((h) => [h.name, hostStatus(h)])));
    expect(tallied.kvm01).toBe("drifted");
    expect(svc.tally.counts().total).toBe(30);
    // SQLite: a transaction of a few statements per host (no single long synchronous read);
    // PostgreSQL: one per table plus one per distinct bundle revision, whatever the fleet's size.
    if (engine === "postgres") expect(statements).toBeLessThan(15);
    else expect(statements).toBeGreaterThanOrEqual(30 * 3);
    // a touched host is read on its own afterwards
    counted.statements = 0;
    svc.tally.touch("kvm02");
    await svc.tally.update(30);
    expect(counted.statements).toBeGreaterThan(0);
    expect(counted.statements).toBeLessThan(15);
  });

  it.skipIf(engine !== "postgres")(
    "reads the inputs from one snapshot: a bundle stored while they are read is not half seen",
    async () => {
      await enrol(db, "kvm01", "kvm02");
      await setBundle(db, "kvm01", 1, "b1", [{ name: "web", revision: "r-web" }]);
      // Another controller stores kvm02's bundle right after the read's first statement.
      let wrote = false;
      const racing: Queryable = {
        engine: db.engine,
        all: db.all.bind(db),
        get: db.get.bind(db),
        run: db.run.bind(db),
        exec: db.exec.bind(db),
        transaction: (fn, options) =>
          db.transaction(async (tx) => {
            const thenWrite = async <T>(p: Promise<T>): Promise<T> => {
              const v = await p;
              if (!wrote) {
                wrote = true;
                await setBundle(db, "kvm02", 1, "b2", [{ name: "db", revision: "r-db" }]);
              }
              return v;
            };
            const inner: Queryable = {
              engine: tx.engine,
              all: (sql, params) => thenWrite(tx.all(sql, params)),
              get: (sql, params) => thenWrite(tx.get(sql, params)),
              run: (sql, params) => tx.run(sql, params),
              exec: (sql) => tx.exec(sql),
              transaction: (f, o) => tx.transaction(f, o),
            };
            return fn(inner);
          }, options),
      };
      const svc = new ComplianceService(racing, silentLogger(), undefined, () => 10_000);
      const first = await svc.current();
      expect(wrote).toBe(true);
      expect(first.hosts.map((h) => [h.name, h.policies.map((p) => p.name)])).toEqual([
        ["kvm01", ["web"]],
        ["kvm02", []],
      ]);
      const next = await svc.current();
      expect(next.hosts.map((h) => [h.name, h.policies.map((p) => p.name)])).toEqual([
        ["kvm01", ["web"]],
        ["kvm02", ["db"]],
      ]);
    },
  );
});

/** `db` with every statement counted (also inside transactions and savepoints). */
function countingQueryable(db: Queryable): { db: Queryable; statements: number } {
  const out = { db: undefined as unknown as Queryable, statements: 0 };
  const wrap = (q: Queryable): Queryable => ({
    engine: q.engine,
    all: (sql, params) => (out.statements++, q.all(sql, params)),
    get: (sql, params) => (out.statements++, q.get(sql, params)),
    run: (sql, params) => (out.statements++, q.run(sql, params)),
    exec: (sql) => (out.statements++, q.exec(sql)),
    transaction: (fn, options) => q.transaction((tx) => fn(wrap(tx)), options),
  });
  out.db = wrap(db);
  return out;
}
