import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPolicySources, silentLogger, type LoadedPolicy } from "../../../common/index.js";
import {
  documentSource,
  isPolicyFileName,
  planRevisions,
  PoliciesDirError,
  PolicyRepository,
  PolicyRevisionLoader,
  PolicyRevisionUnavailableError,
  PolicyStore,
  type PolicyChange,
} from "../../../controller/policies/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml, tempFolder } from "./fixtures.js";

const loaded = (...texts: [string, string][]): LoadedPolicy[] => {
  const r = loadPolicySources(texts.map(([file, text]) => ({ file, text })));
  expect(r.errors).toEqual([]);
  return r.policies;
};

describe("planRevisions", () => {
  it("creates generation 1 for new policies, keeps unchanged ones, bumps changed ones, lists removed ones", async () => {
    const [a1, b1] = loaded(["a.yaml", policyYaml("a")], ["b.yaml", policyYaml("b")]);
    const first = planRevisions([], [a1, b1], () => 0);
    expect(first.created.map((c) => [c.policy.name, c.generation])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);

    const [a2] = loaded(["a.yaml", policyYaml("a", { bridge: "vfbr9" })]);
    const inForce = [
      { policy: "a", revision: a1.revision, generation: 1 },
      { policy: "b", revision: b1.revision, generation: 1 },
      { policy: "c", revision: "x", generation: 4 },
    ];
    const next = planRevisions(inForce, [a2, b1], () => 1);
    expect(next.created.map((c) => [c.policy.name, c.generation])).toEqual([["a", 2]]);
    expect(next.unchanged).toEqual(["b"]);
    expect(next.removed).toEqual(["c"]);
  });

  it("continues a removed policy's generations when it comes back", async () => {
    const [a] = loaded(["a.yaml", policyYaml("a")]);
    expect(planRevisions([], [a], () => 5).created[0].generation).toBe(6);
  });

  it("does not treat a comment or a moved document as a new revision", async () => {
    const [a1] = loaded(["a.yaml", policyYaml("a")]);
    const [a2] = loaded(["a.yaml", policyYaml("a", { comment: "edited" })]);
    expect(planRevisions([{ policy: "a", revision: a1.revision, generation: 1 }], [a2], () => 1).created).toEqual([]);
  });
});

describe("documentSource", () => {
  it("returns the one document of a multi-document file", async () => {
    const text = policyYaml("a") + "---\n" + policyYaml("b");
    const [, b] = loaded(["ab.yaml", text]);
    const src = documentSource(text, b.revision);
    expect(src).toContain("name: b");
    expect(src).not.toContain("name: a\n");
  });
});

describe("isPolicyFileName", () => {
  it("takes yaml files and skips hidden files and editor leftovers", async () => {
    expect(["web.yaml", "inventory.yml"].every(isPolicyFileName)).toBe(true);
    expect(
      [".web.yaml.swp", ".#web.yaml", "web.yaml~", "web.yaml.tmp", "4913", ".hidden.yaml"].some(isPolicyFileName),
    ).toBe(false);
  });
});

describe.each(ENGINES)("PolicyRepository (%s)", (engine) => {
  let t: TestStore;
  let folder: ReturnType<typeof tempFolder>;
  let clock: number;
  let repo: PolicyRepository;
  let changes: PolicyChange[];

  const open = async () => {
    repo = new PolicyRepository({
      dir: folder.dir,
      store: new PolicyStore(t.db),
      log: silentLogger(),
      watch: false,
      now: () => clock,
    });
    repo.onChange((c) => changes.push(c));
    await repo.start();
  };

  beforeEach(async () => {
    t = await openTestStore(engine);
    folder = tempFolder();
    clock = 1_000;
    changes = [];
  });
  afterEach(async () => {
    await repo?.close();
    folder.cleanup();
    await t.close();
  });

  it("refuses to start on a missing folder, naming it", async () => {
    repo = new PolicyRepository({
      dir: join(folder.dir, "nope"),
      store: new PolicyStore(t.db),
      log: silentLogger(),
      watch: false,
    });
    await expect(repo.start()).rejects.toThrow(PoliciesDirError);
    await expect(repo.start()).rejects.toThrow(/nope.*--policies/);
  });

  it("stores revisions only for changed policies, with generations and history", async () => {
    folder.write("a.yaml", policyYaml("a"));
    folder.write("b.yaml", policyYaml("b"));
    await open();
    expect((await repo.revisions()).map((r) => [r.policy, r.generation])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
    expect(changes).toEqual([{ created: ["a", "b"], removed: [], inventoryChanged: false }]);

    clock = 2_000;
    folder.write("a.yaml", policyYaml("a", { bridge: "vfbr7" }));
    folder.write("b.yaml", policyYaml("b", { comment: "only a comment" }));
    expect(await repo.reload()).toEqual({
      accepted: true,
      change: { created: ["a"], removed: [], inventoryChanged: false },
    });
    expect((await repo.revisions()).map((r) => [r.policy, r.generation])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    const history = await repo.store.history("a", 10);
    expect(history.map((h) => [h.generation, h.current, h.createdAt])).toEqual([
      [2, true, 2_000],
      [1, false, 1_000],
    ]);
    expect(history[0].source).toContain("bridge: vfbr7");
    expect(history[0]).toMatchObject({ file: join(folder.dir, "a.yaml"), mode: "enforce", priority: 0 });

    expect(await repo.reload()).toEqual({ accepted: true, change: null });
    expect(changes).toHaveLength(2);
  });

  it("rejects a load with any error whole and keeps what is in force", async () => {
    folder.write("a.yaml", policyYaml("a"));
    folder.write("b.yaml", policyYaml("b"));
    await open();
    const before = repo.current().policies;
    folder.write("a.yaml", policyYaml("a", { bridge: "vfbr2" }));
    folder.write("b.yaml", policyYaml("b").replace("mode: isolated", "mode: bogus"));
    const out = await repo.reload();
    expect(out.accepted).toBe(false);
    if (out.accepted) return;
    expect(out.errors[0]).toMatchObject({
      file: join(folder.dir, "b.yaml"),
      line: 10,
      col: 15,
      path: "spec.resources.networks[0].mode",
    });
    expect(repo.current().policies).toBe(before);
    expect((await repo.revisions()).map((r) => r.generation)).toEqual([1, 1]);
    const last = (await repo.store.lastLoad())!;
    expect(last.accepted).toBe(false);
    expect(last.errors).toHaveLength(1);
    expect(changes).toHaveLength(1);
  });

  it("marks vanished policies removed and continues their generations when they return", async () => {
    folder.write("a.yaml", policyYaml("a"));
    folder.write("b.yaml", policyYaml("b"));
    await open();
    rmSync(join(folder.dir, "b.yaml"));
    clock = 3_000;
    expect(await repo.reload()).toMatchObject({ change: { created: [], removed: ["b"] } });
    expect((await repo.revisions()).map((r) => r.policy)).toEqual(["a"]);
    expect((await repo.store.history("b", 5))[0]).toMatchObject({ current: false, removedAt: 3_000, generation: 1 });
    folder.write("b.yaml", policyYaml("b"));
    await repo.reload();
    expect((await repo.revisions()).map((r) => [r.policy, r.generation])).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
  });

  it("signals an inventory change even when no policy changed", async () => {
    folder.write("a.yaml", policyYaml("a"));
    await open();
    folder.write("inventory.yaml", "groups:\n  web:\n    hosts: [h1]\n");
    expect(await repo.reload()).toEqual({
      accepted: true,
      change: { created: [], removed: [], inventoryChanged: true },
    });
    expect(repo.current().inventory.groups.has("web")).toBe(true);
  });

  it("rejects a policy targeting a group the folder's inventory lacks, also when there is no inventory.yaml", async () => {
    folder.write("a.yaml", policyYaml("a", { targets: "{groups: [web]}" }));
    await open();
    const outcome = await repo.reload();
    expect(outcome.accepted).toBe(false);
    expect(outcome.accepted === false && outcome.errors.map((e) => e.message)).toEqual([
      'unknown group "web" (there is no inventory.yaml, so only the implicit groups exist: all, ungrouped)',
    ]);
    expect(repo.current().policies).toEqual([]);
    folder.write("b.yaml", policyYaml("b", { targets: "{groups: [all, ungrouped]}" }));
    folder.write("inventory.yaml", "groups:\n  web:\n    hosts: [h1]\n");
    expect((await repo.reload()).accepted).toBe(true);
    expect(
      repo
        .current()
        .policies.map((p) => p.name)
        .sort(),
    ).toEqual(["a", "b"]);
  });

  it("restarting on a broken folder enforces the stored revisions and inventory", async () => {
    folder.write("inventory.yaml", "groups:\n  web:\n    hosts: [h1]\n");
    folder.write("ab.yaml", policyYaml("a", { targets: "{groups: [web]}" }) + "---\n" + policyYaml("b"));
    await open();
    await repo.close();
    folder.write("ab.yaml", "kind: [unclosed\n");
    await open();
    expect((await repo.store.lastLoad())!.accepted).toBe(false);
    expect(
      repo
        .current()
        .policies.map((p) => p.name)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(repo.current().inventory.groups.has("web")).toBe(true);
    expect((await repo.revisions()).map((r) => r.generation)).toEqual([1, 1]);
  });
});

describe.each(ENGINES)("PolicyRevisionLoader (%s)", (engine) => {
  it("reads and parses a revision not in force once, however many callers ask for it at the same time", async () => {
    const t = await openTestStore(engine);
    const folder = tempFolder();
    try {
      folder.write("a.yaml", policyYaml("a"));
      const store = new PolicyStore(t.db);
      const repo = new PolicyRepository({ dir: folder.dir, store, log: silentLogger(), watch: false });
      await repo.start();
      const old = repo.current().policies[0]!.revision;
      folder.write("a.yaml", policyYaml("a", { bridge: "vfbr7" }));
      await repo.reload();
      let reads = 0;
      const revision = store.revision.bind(store);
      store.revision = (...args: Parameters<typeof store.revision>) => {
        reads++;
        return revision(...args);
      };
      const loader = new PolicyRevisionLoader(repo);
      // a rollout's first bundles: one call per host, all before any has resolved
      const got = await Promise.all(Array.from({ length: 200 }, () => loader.get("a", old)));
      expect(reads).toBe(1);
      expect(new Set(got).size).toBe(1);
      expect(got[0]!.revision).toBe(old);
      // a revision that is not stored fails every caller, and is tried again next time
      await expect(loader.get("a", "0".repeat(64))).rejects.toThrow(PolicyRevisionUnavailableError);
      await expect(loader.get("a", "0".repeat(64))).rejects.toThrow(/not stored/);
      expect(reads).toBe(3);
      await repo.close();
    } finally {
      folder.cleanup();
      await t.close();
    }
  });
});

describe.each(ENGINES)("PolicyStore (%s)", (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  const accept = (store: PolicyStore, policy: LoadedPolicy, generation: number, now: number) =>
    store.recordAccepted({
      plan: { created: [{ policy, generation }], removed: [], unchanged: [] },
      sources: new Map([[policy.name, `source of ${policy.revision}`]]),
      files: [policy.file],
      inventory: null,
      now,
    });

  it("records accepted and rejected loads; generations, history and removals read back", async () => {
    const store = new PolicyStore(t.db);
    const [a1, b1] = loaded(["a.yaml", policyYaml("a")], ["b.yaml", policyYaml("b")]);
    const [a2] = loaded(["a.yaml", policyYaml("a", { bridge: "vfbr7" })]);
    expect(await store.lastGeneration("a")).toBe(0);
    expect(await store.lastLoad()).toBeUndefined();
    expect(await accept(store, a1, 1, 1_000)).toEqual(new Map([["a", 1]]));
    await accept(store, b1, 1, 1_000);
    expect(await accept(store, a2, 2, 2_000)).toEqual(new Map([["a", 2]]));
    await store.recordAccepted({
      plan: { created: [], removed: ["b"], unchanged: ["a"] },
      sources: new Map(),
      files: ["a.yaml"],
      inventory: { file: "inventory.yaml", source: "groups: {}\n" },
      now: 3_000,
    });
    await store.recordRejected([{ file: "a.yaml", line: 1, col: 2, path: "spec", message: "bad" }], ["a.yaml"], 4_000);
    expect((await store.inForce()).map((r) => [r.policy, r.generation, r.current])).toEqual([["a", 2, true]]);
    expect(await store.removedPolicies()).toEqual(["b"]);
    expect(await store.lastGeneration("a")).toBe(2);
    expect((await store.history("a", 10)).map((r) => [r.generation, r.current, r.createdAt])).toEqual([
      [2, true, 2_000],
      [1, false, 1_000],
    ]);
    expect((await store.history("b", 10))[0]).toMatchObject({ current: false, removedAt: 3_000 });
    expect(await store.revision("a", a1.revision)).toMatchObject({ generation: 1, source: `source of ${a1.revision}` });
    expect(await store.revision("a", "nope")).toBeUndefined();
    expect(await store.lastLoad()).toEqual({
      loadedAt: 4_000,
      accepted: false,
      errors: [{ file: "a.yaml", line: 1, col: 2, path: "spec", message: "bad" }],
      files: ["a.yaml"],
      inventoryFile: null,
      inventorySource: null,
    });
    expect(await store.lastAcceptedLoad()).toMatchObject({
      loadedAt: 3_000,
      accepted: true,
      errors: [],
      inventoryFile: "inventory.yaml",
      inventorySource: "groups: {}\n",
    });
  });

  it("two writers that planned the same generation both store, one after the other: generations stay unique", async () => {
    // Two controllers that read lastGeneration before either wrote: both plan generation 2.
    const stores = [new PolicyStore(t.db), new PolicyStore(t.db)];
    const [a1] = loaded(["a.yaml", policyYaml("a")]);
    const [a2] = loaded(["a.yaml", policyYaml("a", { bridge: "vfbr2" })]);
    const [a3] = loaded(["a.yaml", policyYaml("a", { bridge: "vfbr3" })]);
    await accept(stores[0]!, a1, 1, 1_000);
    const results = await Promise.all([accept(stores[0]!, a2, 2, 2_000), accept(stores[1]!, a3, 2, 2_000)]);
    expect(results.map((r) => r.get("a")).sort()).toEqual([2, 3]);
    expect((await stores[0]!.history("a", 10)).map((r) => [r.generation, r.current])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
    expect((await stores[0]!.inForce()).length).toBe(1);
  });
});
