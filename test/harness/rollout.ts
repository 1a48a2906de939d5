/**
 * Multi-host rollout tests: one controller and several agents on this machine's libvirtd.
 * The agents share one libvirt, so every policy templates its resource names with
 * `${host.name}` (host names are `<prefix>h1`…, hence every object starts with the test's
 * prefix and cleanupPrefix() removes it). The rollout status is read through the admin API
 * (the same document `virtfleet rollout status --json` prints), fast enough to poll.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { AdminClient, type RolloutAction } from "../../cli/admin-client.js";
import { parseHostPort } from "../../common/index.js";
import type { RolloutStatusJson } from "../../controller/rollout/index.js";
import { startAgent, startController, waitForHost, type StartedController } from "./fleet.js";
import { runCli, stopAll, tempDir, waitFor, type Proc } from "./processes.js";
import { cleanupPrefix, testPrefix, virshResult } from "./virsh.js";

export type { RolloutStatusJson };

/** Terminal rollout states. */
export const TERMINAL = ["succeeded", "failed", "rolledback", "aborted"] as const;

export interface ComplianceJson {
  fleet: { hosts: number; compliant: number; percent: number };
  hosts: {
    name: string;
    compliant: boolean;
    policies: {
      name: string;
      revision: string;
      observedRevision?: string;
      status: string;
      resources: { ok: number; drift: number; failed: number };
    }[];
  }[];
}

/** A JSON log line of a process (pino: `time` in ms since the epoch). */
export interface LogLine {
  msg: string;
  time: number;
  [k: string]: unknown;
}

/** A Policy document (spec/policy.md) as plain data; `${host.name}` templates stay literal. */
export function policyDoc(name: string, spec: Record<string, unknown>, description?: string): Record<string, unknown> {
  return {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name, ...(description !== undefined ? { description } : {}) },
    spec,
  };
}

/**
 * A shut-off tiny guest named `${host.name}-<suffix>` whose memory (in MiB) marks the
 * revision a host holds: the definition changes at once (no running guest to restart).
 */
export function markerDomain(suffix: string, memoryMiB: number): Record<string, unknown> {
  return { name: `\${host.name}-${suffix}`, vcpus: 1, memory: `${memoryMiB}MiB`, state: "shutoff", autostart: false };
}

/** A running tiny diskless guest named `${host.name}-<suffix>` (64 MiB). */
export function runningDomain(suffix: string, memory = "64MiB"): Record<string, unknown> {
  return { name: `\${host.name}-${suffix}`, vcpus: 1, memory, state: "running", autostart: false };
}

/** Rollout settings for tests (soak short by default). */
export function rolloutBlock(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { canary: 1, batchSize: 2, soak: "1s", maxFailures: 0, onFailure: "rollback", ...over };
}

/** The memory (MiB) of `domain`'s persistent definition, or null when it is not defined. */
export async function definedMemoryMiB(domain: string): Promise<number | null> {
  const r = await virshResult("dumpxml", "--inactive", domain);
  if (r.code !== 0) return null;
  const m = /<memory unit='(\w+)'>(\d+)<\/memory>/.exec(r.stdout);
  if (!m) throw new Error(`no <memory> in the definition of ${domain}`);
  const factor: Record<string, number> = {
    KiB: 1 / 1024,
    MiB: 1,
    GiB: 1024,
    TiB: 1024 * 1024,
    b: 1 / (1024 * 1024),
    bytes: 1 / (1024 * 1024),
  };
  return Number(m[2]) * (factor[m[1]!] ?? NaN);
}

/** Whether `domain` exists (defined), and its state (`running`, `shut off`, …) or null. */
export async function domainState(domain: string): Promise<string | null> {
  const r = await virshResult("domstate", domain);
  return r.code === 0 ? r.stdout.trim() : null;
}

export interface FleetOptions {
  /** Agents started with the fleet (named `<prefix>h1`…`<prefix>hN`). */
  hosts: number;
  /** Written before the controller starts (policy files by file name, plus `inventory.yaml` text). */
  files?: Record<string, string>;
  agentArgs?: string[];
  controllerArgs?: string[];
}

/** Waits until `revisionOf(policy)` names a revision other than `previous`; returns it. */
export function waitNewRevision(
  revisionOf: (policy: string) => Promise<string | undefined>,
  policy: string,
  previous: string | undefined,
  timeoutMs: number,
): Promise<string> {
  return waitFor(
    `a new revision of ${policy}`,
    async () => {
      const r = await revisionOf(policy);
      return r !== undefined && r !== previous ? r : undefined;
    },
    timeoutMs,
    100,
  );
}

/** Polls `statusOf(policy)` until `pred` holds; returns that document (the last one seen in the error). */
export async function waitRolloutStatus(
  statusOf: (policy: string) => Promise<RolloutStatusJson | null>,
  policy: string,
  what: string,
  pred: (s: RolloutStatusJson) => boolean,
  timeoutMs: number,
): Promise<RolloutStatusJson> {
  let last: RolloutStatusJson | null = null;
  try {
    return await waitFor(
      `${policy}: ${what}`,
      async () => {
        last = await statusOf(policy);
        return last !== null && pred(last) ? last : undefined;
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    throw new Error(`${String(err)}\nlast status: ${JSON.stringify(last)}`);
  }
}

/** One controller + N agents with their own state folders, on this machine's libvirt. */
export class RolloutFleet {
  readonly prefix = testPrefix();
  readonly dir = tempDir("vft-rollout-");
  readonly policiesDir = join(this.dir.path, "policies");
  readonly dataDir = join(this.dir.path, "controller");
  controller!: StartedController;
  /** Every controller process started, oldest first (logs survive restarts). */
  readonly controllers: Proc[] = [];
  readonly agents = new Map<string, Proc>();
  private admin?: AdminClient;
  private agentArgs: string[] = [];
  private controllerArgs: string[] = [];

  /** `<prefix>h<i>` (1-based). */
  host(i: number): string {
    return `${this.prefix}h${i}`;
  }

  /** Names of the agents started, sorted. */
  get hosts(): string[] {
    return [...this.agents.keys()].sort();
  }

  async start(o: FleetOptions): Promise<this> {
    mkdirSync(this.policiesDir, { recursive: true });
    for (const [file, text] of Object.entries(o.files ?? {})) writeFileSync(join(this.policiesDir, file), text);
    this.agentArgs = ["--max-backoff", "1s", ...(o.agentArgs ?? [])];
    this.controllerArgs = o.controllerArgs ?? [];
    await this.startController();
    for (let i = 1; i <= o.hosts; i++) this.startAgent(this.host(i));
    for (const h of this.hosts) await waitForHost(this.controller.address, h, true, 30_000);
    return this;
  }

  async startController(port?: number): Promise<StartedController> {
    this.admin?.close();
    this.admin = undefined;
    this.controller = await startController({
      dataDir: this.dataDir,
      policiesDir: this.policiesDir,
      port,
      extraArgs: this.controllerArgs,
    });
    this.controllers.push(this.controller.proc);
    return this.controller;
  }

  /** Stops the controller with `signal` and starts a new one on the same data folder and port. */
  async restartController(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.controller.proc.stop(signal);
    this.admin?.close();
    this.admin = undefined;
    await this.startController(this.controller.port);
  }

  startAgent(name: string): Proc {
    const p = startAgent({
      controller: this.controller.address,
      name,
      stateDir: join(this.dir.path, "agents", name),
      extraArgs: this.agentArgs,
    });
    this.agents.set(name, p);
    return p;
  }

  private client(): AdminClient {
    this.admin ??= new AdminClient(parseHostPort(this.controller.address, "--controller"), true);
    return this.admin;
  }

  /** Writes (replaces) `<file>` in the policies folder; returns the time just before writing. */
  write(file: string, doc: Record<string, unknown> | string): number {
    const t = Date.now();
    writeFileSync(join(this.policiesDir, file), typeof doc === "string" ? doc : stringify(doc));
    return t;
  }

  /** The revision of `policy` in force, or undefined when it is not loaded. */
  async policyRevision(policy: string): Promise<string | undefined> {
    const res = await this.client().listPolicies();
    return res.policies.find((p) => p.name === policy)?.revision;
  }

  /** Waits until the controller has loaded a revision of `policy` other than `previous`; returns it. */
  waitNewRevision(policy: string, previous: string | undefined, timeoutMs = 15_000): Promise<string> {
    return waitNewRevision((p) => this.policyRevision(p), policy, previous, timeoutMs);
  }

  /** The newest rollout of `policy` (null: none), as `rollout status --json` prints it. */
  async status(policy: string): Promise<RolloutStatusJson | null> {
    return this.client().rolloutStatus(policy);
  }

  /** Polls the rollout of `policy` (newest) until `pred` holds; returns that document. */
  waitStatus(
    policy: string,
    what: string,
    pred: (s: RolloutStatusJson) => boolean,
    timeoutMs = 60_000,
  ): Promise<RolloutStatusJson> {
    return waitRolloutStatus((p) => this.status(p), policy, what, pred, timeoutMs);
  }

  /** Waits for the rollout of `revision` to reach a terminal state. */
  waitFinished(policy: string, revision: string, timeoutMs = 60_000): Promise<RolloutStatusJson> {
    return this.waitStatus(
      policy,
      `rollout of ${revision.slice(0, 12)} finished`,
      (s) => s.revision === revision && (TERMINAL as readonly string[]).includes(s.state) && !s.rollingBack,
      timeoutMs,
    );
  }

  /** `virtfleet rollout ACTION POLICY --json` through the CLI; returns the status it printed. */
  async control(action: RolloutAction | "status", policy: string): Promise<RolloutStatusJson> {
    const r = await runCli([
      "rollout",
      action,
      policy,
      "--json",
      "--controller",
      this.controller.address,
      "--insecure",
    ]);
    if (r.code !== 0) throw new Error(`rollout ${action} ${policy} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as RolloutStatusJson;
  }

  /** `virtfleet compliance --json` (exit 0 or 3). */
  async compliance(): Promise<ComplianceJson> {
    const r = await runCli(["compliance", "--json", "--controller", this.controller.address, "--insecure"]);
    if (r.code !== 0 && r.code !== 3) throw new Error(`compliance exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as ComplianceJson;
  }

  /** The compliance entry of `policy` on `host`, or undefined when the host does not list it. */
  async hostPolicy(
    host: string,
    policy: string,
  ): Promise<ComplianceJson["hosts"][number]["policies"][number] | undefined> {
    return (await this.compliance()).hosts.find((h) => h.name === host)?.policies.find((p) => p.name === policy);
  }

  /** Log lines of every controller process so far with message `msg`. */
  controllerLogs(msg?: string): LogLine[] {
    return this.controllers.flatMap((p) => p.logs() as LogLine[]).filter((l) => msg === undefined || l.msg === msg);
  }

  /** "bundle sent" lines of the controllers for `host` at or after `since` (ms). */
  bundlesSent(host: string, since = 0): LogLine[] {
    return this.controllerLogs("bundle sent").filter((l) => l.host === host && l.time >= since);
  }

  /** The first "bundle sent" to `host` at or after `since` with a bundle revision it was not sent before `since`. */
  firstNewBundleSent(host: string, since: number): LogLine | undefined {
    const before = new Set(
      this.bundlesSent(host)
        .filter((l) => l.time < since)
        .map((l) => l.revision),
    );
    return this.bundlesSent(host, since).find((l) => !before.has(l.revision));
  }

  /** The agent's "new policy bundle" lines at or after `since` (ms). */
  bundlesReceived(host: string, since = 0): LogLine[] {
    return ((this.agents.get(host)?.logs() ?? []) as LogLine[]).filter(
      (l) => l.msg === "new policy bundle" && l.time >= since,
    );
  }

  /** Stops every process, removes every libvirt object with the prefix and the temp folder. */
  async stop(): Promise<void> {
    this.admin?.close();
    await stopAll();
    await cleanupPrefix(this.prefix);
    this.dir.cleanup();
  }
}

/**
 * Records rollout status documents of `policy` every `everyMs` until stopped: the timeline
 * shows which stage ran when and which hosts had left `pending` at each moment.
 */
export class StatusRecorder {
  readonly samples: { at: number; status: RolloutStatusJson }[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(fleet: RolloutFleet, policy: string, everyMs = 100) {
    this.loop = (async () => {
      while (this.running) {
        try {
          const s = await fleet.status(policy);
          if (s) this.samples.push({ at: Date.now(), status: s });
        } catch {
          // the controller may be restarting
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<this> {
    this.running = false;
    await this.loop;
    return this;
  }

  /** Samples of the rollout of `revision`. */
  of(revision: string): { at: number; status: RolloutStatusJson }[] {
    return this.samples.filter((s) => s.status.revision === revision);
  }
}

/**
 * Checks a finished status: stages in index order, each started no earlier than the previous
 * one finished. Returns a description of the first violation, or null.
 */
export function stageOrderViolation(s: RolloutStatusJson): string | null {
  for (let i = 1; i < s.stages.length; i++) {
    const prev = s.stages[i - 1]!;
    const cur = s.stages[i]!;
    if (cur.index !== i) return `stage ${i} has index ${cur.index}`;
    if (cur.startedAt === undefined) continue;
    if (prev.finishedAt === undefined) return `stage ${i} started (${cur.startedAt}) but stage ${i - 1} never finished`;
    if (Date.parse(cur.startedAt) < Date.parse(prev.finishedAt))
      return `stage ${i} started ${cur.startedAt} before stage ${i - 1} finished ${prev.finishedAt}`;
  }
  return null;
}
