import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POLICY_LIMITS, silentLogger } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import { policyPushHandlers } from "../../../controller/admin/index.js";
import { PolicyRepository, PolicyStore } from "../../../controller/policies/index.js";
import { LEADER_TRAILER } from "../../../controller/defaults.js";
import { PgLeaderElection, storedLeaderAddress } from "../../../controller/replicas/index.js";
import type { PushPoliciesResponse } from "../../../generated/proto/fleet/v1/PushPoliciesResponse.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml, tempFolder } from "./fixtures.js";

type Answer = { err: Partial<grpc.StatusObject> | null; res?: PushPoliciesResponse };

/** Calls the PushPolicies handler as grpc-js would (request in, one callback out). */
function call(
  handlers: ReturnType<typeof policyPushHandlers>,
  files: { name: string; text: string }[],
): Promise<Answer> {
  return new Promise((resolve) => {
    const c = { request: { files } } as unknown as grpc.ServerUnaryCall<never, never>;
    handlers.PushPolicies(
      c as never,
      ((err: Partial<grpc.StatusObject> | null, res?: PushPoliciesResponse) => resolve({ err, res })) as never,
    );
  });
}

const counts = async (db: TestStore["db"]) => ({
  revisions: Number((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM policy_revisions"))!.n),
  loads: Number((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM policy_loads"))!.n),
});

describe.each(ENGINES)("PushPolicies (%s)", (engine) => {
  let t: TestStore;
  let repo: PolicyRepository;
  let handlers: ReturnType<typeof policyPushHandlers>;

  beforeEach(async () => {
    t = await openTestStore(engine);
    repo = new PolicyRepository({ dir: null, store: new PolicyStore(t.db), log: silentLogger() });
    await repo.start();
    handlers = policyPushHandlers({ policies: repo, log: silentLogger() });
  });
  afterEach(async () => {
    await repo.close();
    await t.close();
  });

  it("stores a valid folder as revisions, then a second push creates only the changed ones and removes the missing", async () => {
    const first = await call(handlers, [
      { name: "web.yaml", text: policyYaml("web") },
      { name: "db.yaml", text: policyYaml("db") },
      { name: "inventory.yaml", text: "groups:\n  web:\n    hosts: [h1]\n" },
    ]);
    expect(first.err).toBeNull();
    expect(first.res).toMatchObject({ accepted: true, removed: [], inventoryChanged: true });
    expect(first.res!.created!.map((c) => [c.policy, c.generation])).toEqual([
      ["db", 1],
      ["web", 1],
    ]);
    expect(
      repo
        .current()
        .policies.map((p) => p.name)
        .sort(),
    ).toEqual(["db", "web"]);
    const stored = await repo.store.inForce();
    expect(stored.map((r) => [r.policy, r.file])).toEqual([
      ["db", "db.yaml"],
      ["web", "web.yaml"],
    ]);
    expect(first.res!.created!.find((c) => c.policy === "web")!.revision).toBe(
      stored.find((r) => r.policy === "web")!.revision,
    );

    const second = await call(handlers, [
      { name: "web.yaml", text: policyYaml("web", { bridge: "vfbr-web2" }) },
      { name: "inventory.yaml", text: "groups:\n  web:\n    hosts: [h1]\n" },
    ]);
    expect(second.res).toMatchObject({ accepted: true, removed: ["db"], inventoryChanged: false });
    expect(second.res!.created!.map((c) => [c.policy, c.generation])).toEqual([["web", 2]]);
    expect((await repo.store.inForce()).map((r) => `${r.policy}:${r.generation}`)).toEqual(["web:2"]);
  });

  it("an invalid folder: every error as file:line:col relative to it, nothing stored, the previous revisions stay", async () => {
    await call(handlers, [{ name: "web.yaml", text: policyYaml("web") }]);
    const before = await counts(t.db);
    const inForce = repo.current().policies.map((p) => p.revision);
    const res = await call(handlers, [
      { name: "web.yaml", text: `${policyYaml("web", { bridge: "vfbr-web2" })}  bogus: 1\n` },
      { name: "more.yaml", text: policyYaml("more", { targets: "{groups: [nosuch]}" }) },
    ]);
    expect(res.err).toBeNull();
    expect(res.res!.accepted).toBe(false);
    const errors = res.res!.errors!.map((e) => `${e.file}:${e.line}:${e.col}: ${e.path}: ${e.message}`);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.some((e) => /^web\.yaml:\d+:\d+: spec.*bogus/.test(e))).toBe(true);
    expect(errors.some((e) => /^more\.yaml:\d+:\d+: .*nosuch/.test(e))).toBe(true);
    expect(await counts(t.db)).toEqual(before);
    expect(repo.current().policies.map((p) => p.revision)).toEqual(inForce);
  });

  it("the folder's limits and names: a file over the size limit, a path, a non-policy name are errors; nothing stored", async () => {
    const before = await counts(t.db);
    const res = await call(handlers, [
      { name: "big.yaml", text: `# ${"x".repeat(POLICY_LIMITS.fileBytes)}\n` },
      { name: "../escape.yaml", text: policyYaml("e") },
      { name: "notes.txt", text: "hi" },
      { name: "ok.yaml", text: policyYaml("ok") },
    ]);
    expect(res.res!.accepted).toBe(false);
    const errors = res.res!.errors!.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
    expect(errors).toEqual([
      "../escape.yaml:1:1: not a plain file name; push the files of one folder (no sub-folders)",
      expect.stringMatching(/^big\.yaml:1:1: \d+ bytes, larger than the limit of 1 MiB per policy file/),
      "notes.txt:1:1: not a policy file name (*.yaml or *.yml, not hidden)",
    ]);
    expect(await counts(t.db)).toEqual(before);
    const many = await call(
      handlers,
      Array.from({ length: POLICY_LIMITS.files + 1 }, (_, i) => ({ name: `p${i}.yaml`, text: "" })),
    );
    expect(many.res!.errors![0]!.message).toMatch(/more than the limit of 1000/);
  });

  it("refused with FAILED_PRECONDITION by a controller that loads a policies folder (the source of truth)", async () => {
    const folder = tempFolder();
    const withFolder = new PolicyRepository({
      dir: folder.dir,
      store: new PolicyStore(t.db),
      log: silentLogger(),
      watch: false,
    });
    try {
      await withFolder.start();
      const res = await call(policyPushHandlers({ policies: withFolder, log: silentLogger() }), [
        { name: "web.yaml", text: policyYaml("web") },
      ]);
      expect(res.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(res.err?.details).toContain(`loads the policies folder ${folder.dir}, which is the source of truth`);
      expect((await counts(t.db)).revisions).toBe(0);
    } finally {
      await withFolder.close();
      folder.cleanup();
    }
  });
});

describe("PushPolicies on a follower replica (PostgreSQL)", () => {
  let t: TestStore;
  const opened: { db: PgDatabase; election: PgLeaderElection; repo: PolicyRepository }[] = [];

  beforeEach(async () => {
    t = await openTestStore("postgres");
  });
  afterEach(async () => {
    for (const r of opened.splice(0).reverse()) {
      await r.repo.close();
      await r.election.stop();
      await r.db.close();
    }
    await t.close();
  });

  const replica = async (name: string) => {
    const db = await PgDatabase.connect({ url: t.postgres!.url, max: 2 });
    const election = new PgLeaderElection(db, { replica: name, retryMs: 100 });
    await election.start();
    const repo = new PolicyRepository({
      dir: null,
      store: new PolicyStore(db),
      log: silentLogger(),
      leadership: election,
    });
    await repo.start();
    opened.push({ db, election, repo });
    return {
      repo,
      handlers: policyPushHandlers({
        policies: repo,
        leaderAddress: () => storedLeaderAddress(db),
        log: silentLogger(),
      }),
    };
  };

  it("answers FAILED_PRECONDITION naming the leader's address (message and trailer); nothing stored; the leader takes it", async () => {
    const a = await replica("a");
    const b = await replica("b");
    await t.db.run(
      "INSERT INTO controller_replicas (name, address, version, started_at, last_seen) VALUES ('a', '10.0.0.1:7443', 'x', 0, 0), ('b', '10.0.0.2:7443', 'x', 0, 0)",
    );
    const files = [{ name: "web.yaml", text: policyYaml("web") }];
    const refused = await call(b.handlers, files);
    expect(refused.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.err?.details).toBe("this controller replica is not the leader; push to the leader at 10.0.0.1:7443");
    expect((refused.err!.metadata as grpc.Metadata).get(LEADER_TRAILER)).toEqual(["10.0.0.1:7443"]);
    expect((await counts(t.db)).revisions).toBe(0);
    const taken = await call(a.handlers, files);
    expect(taken.res?.accepted).toBe(true);
    expect((await counts(t.db)).revisions).toBe(1);
  });

  it("without a recorded leader address: refused, saying so", async () => {
    await replica("a");
    const b = await replica("b");
    const refused = await call(b.handlers, [{ name: "web.yaml", text: policyYaml("web") }]);
    expect(refused.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.err?.details).toMatch(/not the leader.*not known yet/);
    expect((refused.err!.metadata as grpc.Metadata).get(LEADER_TRAILER)).toEqual([]);
  });
});
