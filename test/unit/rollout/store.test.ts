import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRollout,
  RolloutConflictError,
  RolloutStore,
  stepAll,
  type Rollout,
  type RolloutEvent,
} from "../../../controller/rollout/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { NEW, OLD, settings } from "./sim.js";

const H4 = ["kvm01", "kvm02", "kvm03", "kvm04"];
const make = (id: string, over: Partial<Parameters<typeof createRollout>[0]> = {}) =>
  createRollout({
    id,
    policy: "web",
    fromRevision: OLD,
    toRevision: NEW,
    settings: settings(),
    targets: H4,
    online: ["kvm01", "kvm02", "kvm04"],
    now: 1000,
    ...over,
  });

const firstHalf: RolloutEvent[] = [
  { type: "start", now: 1000 },
  { type: "planRecorded", result: { hosts: [{ name: "kvm01", changes: 2 }] }, at: 1100 },
  { type: "delivered", host: "kvm01", generation: 7, at: 1200 },
  { type: "hostObserved", host: "kvm01", generation: 7, converged: "ok", at: 1300 },
  { type: "tick", now: 2300 },
  { type: "delivered", host: "kvm02", generation: 3, at: 2400 },
];
const secondHalf: RolloutEvent[] = [
  { type: "hostObserved", host: "kvm02", generation: 3, converged: "ok", at: 2500 },
  { type: "hostOnline", host: "kvm03", at: 2600 },
  { type: "hostEnrolled", host: "kvm05", online: true, at: 2650 },
  { type: "delivered", host: "kvm03", generation: 9, at: 2700 },
  { type: "hostObserved", host: "kvm03", generation: 9, converged: "failed", at: 2800, reason: "pool missing" },
  { type: "delivered", host: "kvm01", generation: 8, at: 2900 },
  { type: "hostObserved", host: "kvm01", generation: 8, converged: "ok", at: 3000 },
];

describe.each(ENGINES)("RolloutStore (%s)", (engine) => {
  let t: TestStore;
  let store: RolloutStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
    store = new RolloutStore(t.db);
  });
  afterEach(async () => {
    await t.close();
  });

  it("round-trips a rollout mid-flight exactly; continuing the loaded one gives identical results", async () => {
    const mid = stepAll(make("web@2"), firstHalf).rollout;
    const stored = await store.save(mid);
    const loaded = (await store.load("web@2"))!;
    expect(loaded).toEqual(mid);
    expect(JSON.stringify(loaded)).toBe(JSON.stringify(mid));
    expect(stored).toBe(JSON.stringify(mid));
    const a = stepAll(mid, secondHalf);
    const b = stepAll(loaded, secondHalf);
    expect(b).toEqual(a);
    expect(a.rollout.state).toBe("failed");
    await store.save(a.rollout);
    expect(await store.load("web@2")).toEqual(a.rollout);
  });

  it("keeps one active rollout per policy, and the history", async () => {
    const r1 = stepAll(make("web@2"), [{ type: "start", now: 1000 }]).rollout;
    await store.save(r1);
    await expect(store.save(make("web@3", { toRevision: "rev-3", now: 2000 }))).rejects.toThrow(RolloutConflictError);
    const aborted = stepAll(r1, [{ type: "supersede", byRevision: "rev-3", at: 2000 }]).rollout;
    await store.save(aborted);
    const r2 = make("web@3", { toRevision: "rev-3", now: 2000 });
    await store.save(r2);
    await store.save(
      createRollout({
        id: "db@1",
        policy: "db",
        fromRevision: null,
        toRevision: "d1",
        settings: settings(),
        targets: ["x"],
        now: 1500,
      }),
    );
    expect((await store.active("web"))?.id).toBe("web@3");
    expect((await store.latest("web"))?.id).toBe("web@3");
    expect((await store.listActive()).map((r) => r.id)).toEqual(["db@1", "web@3"]);
    expect((await store.history("web", 10)).map((h) => [h.id, h.state, h.active])).toEqual([
      ["web@3", "pending", true],
      ["web@2", "aborted", false],
    ]);
    expect(await store.load("nope")).toBeUndefined();
  });

  it("rejects an id reused for another policy", async () => {
    await store.save(make("same"));
    const other: Rollout = { ...make("same"), policy: "db" };
    await expect(store.save(other)).rejects.toThrow(RolloutConflictError);
  });

  it("two writers saving different active rollouts of one policy at once: one is stored, the other refused", async () => {
    const other = new RolloutStore(t.db);
    const a = stepAll(make("web@2"), [{ type: "start", now: 1000 }]).rollout;
    const b = stepAll(make("web@3", { toRevision: "rev-3" }), [{ type: "start", now: 1000 }]).rollout;
    const outcomes = await Promise.allSettled([store.save(a), other.save(b)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    const won = outcomes[0]!.status === "fulfilled" ? a : b;
    expect((await store.listActive()).map((r) => r.id)).toEqual([won.id]);
    expect((await store.history("web", 10)).map((h) => h.id)).toEqual([won.id]);
  });
});

describe.each(ENGINES)("RolloutStore racing writers (%s)", (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  it("a writer whose check read no active rollout but whose insert meets the other's: RolloutConflictError, not the database's unique-index error", async () => {
    const a = stepAll(make("web@2"), [{ type: "start", now: 1000 }]).rollout;
    const b = stepAll(make("web@3", { toRevision: "rev-3" }), [{ type: "start", now: 1000 }]).rollout;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A's row is inserted but not committed while B checks (and sees no active rollout)
    let inserted!: () => void;
    const aInserted = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const first = t.db.transaction(async (tx) => {
      await new RolloutStore(tx).save(a);
      inserted();
      await held;
    });
    // B starts once A's insert is done (else B may commit first and A meet B's row)
    await Promise.race([aInserted, first]);
    const second = new RolloutStore(t.db).save(b).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (engine === "postgres") {
      // B's insert waits on A's uncommitted row in the unique index
      const admin = t.postgres!.handle;
      for (let i = 0; i < 200; i++) {
        const w = await admin.get<{ n: number }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if (w!.n > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    release();
    await first;
    const err = await second;
    expect(err).toBeInstanceOf(RolloutConflictError);
    expect((err as Error).message).toMatch(/policy web already has an active rollout/);
    expect((await new RolloutStore(t.db).listActive()).map((r) => r.id)).toEqual(["web@2"]);
  });
});
