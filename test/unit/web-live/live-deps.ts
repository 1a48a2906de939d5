import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Engine, type Queryable, silentLogger } from "../../../common/index.js";
import { validateAgentEvent, type DriftView } from "../../../controller/agent-messages/index.js";
import { AgentService, DEFAULT_AGENT_SERVICE_OPTIONS } from "../../../controller/agents/index.js";
import { AuditLog } from "../../../controller/audit/index.js";
import { BundleService } from "../../../controller/bundles/index.js";
import { ComplianceService } from "../../../controller/compliance/index.js";
import { HostConditions, HostStore } from "../../../controller/hosts/index.js";
import { DriftFeed, EventStore } from "../../../controller/ingest/index.js";
import { PolicyRepository, PolicyRevisionLoader, PolicyStore } from "../../../controller/policies/index.js";
import { RolloutStore } from "../../../controller/rollout/index.js";
import { RolloutRunner } from "../../../controller/rollout-runner/index.js";
import type { WebDeps, WebRequest, WebResponse, WebSession } from "../../../controller/web/index.js";
import type { Route } from "../../../controller/web/route.js";
import { openTestStore } from "../../harness/postgres.js";
import { driftMsg } from "../ingest/fixtures.js";

/**
 * The dashboard's services over a real, migrated controller store on `engine` (SQLite in
 * memory, or a new PostgreSQL database: test/harness/postgres.ts), built as
 * controller/controller.ts builds them (policies loaded from a folder, the rollout runner and
 * bundles attached to an agent service with no agents connected).
 */
export interface LiveFixture {
  deps: WebDeps;
  engine: Engine;
  /** The store every service runs on. */
  db: Queryable;
  hosts: HostStore;
  /** The policies folder's parent (a temporary folder). */
  dir: string;
  /** Enrols `name` as a host (the row an agent's hello creates). */
  enrol(name: string): Promise<void>;
  /** Stores a drift event for `host` through the EventStore and publishes what changed, as the ingestor does. */
  drift(host: string, over: Parameters<typeof driftMsg>[0]): Promise<DriftView[]>;
  close(): Promise<void>;
}

let eventSeq = 10;

export async function liveFixture(
  opts: { engine?: Engine; policies?: Record<string, string>; hosts?: string[] } = {},
): Promise<LiveFixture> {
  const engine = opts.engine ?? "sqlite";
  const dir = mkdtempSync(join(tmpdir(), "vft-web-live-"));
  const policiesDir = join(dir, "policies");
  mkdirSync(policiesDir);
  for (const [file, text] of Object.entries(opts.policies ?? {})) writeFileSync(join(policiesDir, file), text);
  const store = await openTestStore(engine);
  try {
    const db = store.db;
    const hosts = new HostStore(db);
    const log = silentLogger();
    const enrol = async (name: string) => {
      await hosts.recordHello({
        name,
        agentVersion: "1",
        factsJson: "{}",
        factsFingerprint: "f",
        sessionId: `s-${name}`,
        peer: "p",
        now: Date.now(),
      });
    };
    for (const h of opts.hosts ?? []) await enrol(h);
    const policies = new PolicyRepository({ dir: policiesDir, store: new PolicyStore(db), log, watch: false });
    await policies.start();
    const audit = new AuditLog(db);
    const conditions = new HostConditions();
    const agents = new AgentService(hosts, log, { ...DEFAULT_AGENT_SERVICE_OPTIONS, conditions });
    const bundles = new BundleService(db, hosts, policies, log);
    const rollouts = new RolloutRunner({
      db,
      store: new RolloutStore(db),
      policies,
      revisions: new PolicyRevisionLoader(policies),
      hosts,
      bundles,
      log,
      tickMs: 60_000,
    });
    await rollouts.attach(agents);
    await bundles.attach(agents);
    const events = new EventStore(db);
    const feed = new DriftFeed();
    const compliance = new ComplianceService(db, log, undefined, undefined, conditions);
    const deps: WebDeps = {
      hosts,
      conditions,
      agents,
      policies,
      compliance,
      events,
      feed,
      rollouts,
      audit,
      log,
    };
    return {
      deps,
      engine,
      db,
      hosts,
      dir,
      enrol,
      async drift(host, over) {
        const seq = ++eventSeq;
        const changes = await events.store(
          [{ host, events: [validateAgentEvent(driftMsg({ eventSeq: seq, ...over }))] }],
          Date.now(),
        );
        const drifts = changes.drift.map((c) => c.drift);
        feed.publish(drifts);
        return drifts;
      },
      async close() {
        rollouts.stop();
        compliance.stop();
        await policies.close();
        await hosts.flush();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    // a fixture that could not be built leaves nothing behind (its PostgreSQL database is dropped)
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export const VIEWER: WebSession = { user: "vic", role: "viewer", csrf: "csrf-viewer" };
export const OPERATOR: WebSession = { user: "olga", role: "operator", csrf: "csrf-operator" };

/** Finds the route of `method path-pattern` in `routes`. */
export function routeOf(routes: Route<WebDeps>[], method: "GET" | "POST", path: string): Route<WebDeps> {
  const r = routes.find((x) => x.method === method && x.path === path);
  if (!r) throw new Error(`no route ${method} ${path}`);
  return r;
}

/** A request as the server hands it to a route (session, role and CSRF already checked). */
export function request(
  url: string,
  opts: {
    method?: "GET" | "POST";
    params?: Record<string, string>;
    form?: Record<string, string>;
    session?: WebSession;
    signal?: AbortSignal;
  } = {},
): WebRequest {
  return {
    method: opts.method ?? "GET",
    url: new URL(url, "https://127.0.0.1:7444"),
    params: opts.params ?? {},
    form: new URLSearchParams(opts.form ?? {}),
    session: opts.session ?? VIEWER,
    signal: opts.signal ?? new AbortController().signal,
  };
}

/** The body text of a page or fragment answer (fails the test for any other kind). */
export function bodyOf(res: WebResponse): string {
  if (res.kind !== "page" && res.kind !== "fragment") throw new Error(`expected a page or fragment, got ${res.kind}`);
  return res.body.value;
}
