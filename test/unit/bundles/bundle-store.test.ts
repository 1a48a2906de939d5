import { afterEach, describe, expect, it } from "vitest";
import type { Engine } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import { BundleContentError, HostBundleStore, type ComputedBundle } from "../../../controller/bundles/index.js";
import { ENGINES, type TestStore } from "../../harness/postgres.js";
import { openStoreWithHosts, value } from "../ingest/fixtures.js";

const computed = (revision: string, names: string[] = [], problems: string[] = []): ComputedBundle => ({
  revision,
  policies: names.map((name) => ({ name, revision: `${name}-v1`, mode: "enforce", resolvedJson: "{}" })),
  problems,
  conflicts: [],
});

describe.each(ENGINES)("HostBundleStore on %s", (engine: Engine) => {
  let t: TestStore;
  afterEach(async () => {
    await t?.close();
  });

  it("starts at generation 1, bumps it only when the revision changes, and answers the host's bundle", async () => {
    t = await openStoreWithHosts(engine, "h1", "h2");
    const store = new HostBundleStore(t.db);
    expect(await store.generationOf("h1")).toBeUndefined();
    expect(await store.save("h1", computed("r1", ["web"]), 10)).toMatchObject({
      changed: true,
      bundle: { generation: 1, revision: "r1", sentAt: null, bundle: { generation: 1, revision: "r1" } },
    });
    await store.markSent("h1", "r1", 11);
    await store.markSent("h1", "other", 12); // not the current revision: ignored
    const refreshed = await store.save("h1", computed("r1", ["web"], ["x"]), 13);
    expect(refreshed).toMatchObject({ changed: false, bundle: { generation: 1, sentAt: 11, problems: ["x"] } });
    expect(await store.get("h1")).toMatchObject({ sentAt: 11, problems: ["x"], computedAt: 13 });
    expect(await store.save("h1", computed("r2", ["db", "web"]), 14)).toMatchObject({
      changed: true,
      bundle: { generation: 2, sentAt: null, problems: [] },
    });
    expect(await store.generationOf("h1")).toBe(2);
    expect(await store.policiesOf("h1")).toEqual([
      { name: "db", revision: "db-v1" },
      { name: "web", revision: "web-v1" },
    ]);
    expect(await store.currentPolicies(["h1", "h2", "nosuch"])).toEqual(
      new Map([
        [
          "h1",
          {
            revision: "r2",
            policies: [
              { name: "db", revision: "db-v1" },
              { name: "web", revision: "web-v1" },
            ],
          },
        ],
      ]),
    );
    expect(await store.currentPolicies([])).toEqual(new Map());
    expect(await store.policiesOf("h2")).toEqual([]);
    await store.save("h2", computed("r9"), 15);
    expect(await store.heads()).toEqual(
      expect.arrayContaining([
        { host: "h1", revision: "r2", generation: 2 },
        { host: "h2", revision: "r9", generation: 1 },
      ]),
    );
    expect(await store.heads("h2")).toEqual([{ host: "h2", revision: "r9", generation: 1 }]);
    expect((await store.list()).map((b) => [b.host, b.bundle.policies.length])).toEqual([
      ["h1", 2],
      ["h2", 0],
    ]);
  });

  it("returns an unchanged bundle as stored, its content read on demand, and refuses one replaced since", async () => {
    t = await openStoreWithHosts(engine, "h1");
    const store = new HostBundleStore(t.db);
    const policies = [{ name: "p", revision: "v1", mode: "enforce", resolvedJson: "{}" }];
    await store.save("h1", { ...computed("r1"), policies }, 10);
    // Same revision, other content (e.g. file positions moved): the stored bundle is what the agent holds.
    const same = await store.save(
      "h1",
      { ...computed("r1"), policies: [{ ...policies[0]!, resolvedJson: '{"moved":true}' }] },
      11,
    );
    expect(same.changed).toBe(false);
    expect(() => same.bundle.bundle).toThrow(BundleContentError);
    expect(await store.content(same.bundle)).toEqual({ revision: "r1", generation: 1, policies });
    const stale = (await store.save("h1", computed("r1"), 12)).bundle;
    await store.save("h1", computed("r2"), 13);
    await expect(store.content(stale)).rejects.toThrow(/replaced/);
  });

  it("refuses a bundle for an unknown host and stores nothing", async () => {
    t = await openStoreWithHosts(engine, "h1");
    const store = new HostBundleStore(t.db);
    await expect(store.save("nosuch", computed("r1"), 1)).rejects.toThrow();
    expect(await value(t.db, "SELECT COUNT(*) AS n FROM host_bundles")).toBe(0);
  });

  it("two replicas saving one host's bundles at the same time never give one generation two contents", async () => {
    t = await openStoreWithHosts(engine, "h1");
    const second = t.postgres ? await PgDatabase.connect({ url: t.postgres.url, max: 4 }) : undefined;
    try {
      const a = new HostBundleStore(t.db);
      const b = new HostBundleStore(second ?? t.db);
      // First bundles (no row to lock yet), then changes of a stored one, all at once.
      const saved = await Promise.all([
        a.save("h1", computed("ra", ["a"]), 1),
        b.save("h1", computed("rb", ["b"]), 1),
        a.save("h1", computed("rc", ["c"]), 2),
        b.save("h1", computed("rd", ["d"]), 2),
      ]);
      expect(saved.every((s) => s.changed)).toBe(true);
      expect(saved.map((s) => s.bundle.generation).sort()).toEqual([1, 2, 3, 4]);
      const stored = (await a.get("h1"))!;
      const last = saved.find((s) => s.bundle.generation === 4)!.bundle;
      expect(stored).toMatchObject({ generation: 4, revision: last.revision });
      expect(stored.bundle).toEqual({ revision: last.revision, generation: 4, policies: last.bundle.policies });
    } finally {
      await second?.close();
    }
  });
});
