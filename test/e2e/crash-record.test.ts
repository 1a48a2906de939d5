import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { DriftJson } from "../../common/index.js";
import { startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { runCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { policyDoc, rolloutBlock, type ComplianceJson } from "../harness/rollout.js";
import { cleanupPrefix, testPrefix, virshResult, volumeNames } from "../harness/virsh.js";

// Issue 21 item 6: the record of each change survives `kill -9` of the agent in the middle of
// converging a new bundle. Each round adds a policy with a pool, three volumes and a running
// guest; the agent is killed at a random moment after the bundle arrived and started again.
// Then every object of the round that exists on libvirt has exactly one change record at the
// controller, labelled as the apply of a new bundle (intentional/apply), and resolved.
const prefix = testPrefix();
const host = `${prefix}host`;
const dir = tempDir("vft-crash-");
const policies = join(dir.path, "policies");
const stateDir = join(dir.path, "agent");
const ROUNDS = 3;
let controller: StartedController;
let agent: Proc;
const agents: Proc[] = [];

const pool = (r: number) => `${prefix}p${r}`;
const guest = (r: number) => `${prefix}g${r}`;
const VOLUMES = ["v1.qcow2", "v2.qcow2", "v3.qcow2"];

function writeRound(r: number): void {
  const doc = policyDoc(`crash-${r}`, {
    mode: "enforce",
    rollout: rolloutBlock({ canary: 0, batchSize: "100%", soak: "0s" }),
    resources: {
      pools: [{ name: pool(r), type: "dir", path: join(dir.path, `pool-${r}`), autostart: false, state: "active" }],
      volumes: VOLUMES.map((v) => ({ name: v, pool: pool(r), format: "qcow2", capacity: "1MiB" })),
      domains: [{ name: guest(r), vcpus: 1, memory: "64MiB", state: "running", autostart: false }],
    },
  });
  writeFileSync(join(policies, `crash-${r}.yaml`), stringify(doc));
}

function spawnAgent(): Proc {
  const p = startAgent({
    controller: controller.address,
    name: host,
    stateDir,
    maxBackoff: "1s",
    extraArgs: ["--resync-interval", "1h"],
  });
  agents.push(p);
  return p;
}

async function compliance(): Promise<ComplianceJson> {
  const r = await runCli(["compliance", "--json", "--controller", controller.address, "--insecure"]);
  if (r.code !== 0) throw new Error(`compliance exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ComplianceJson;
}

async function drift(): Promise<DriftJson[]> {
  const r = await runCli(["drift", "--json", "--host", host, "--controller", controller.address, "--insecure"]);
  if (r.code !== 0) throw new Error(`drift exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DriftJson[];
}

/** The round's objects that exist on libvirt, as drift records name them (kind/name). */
async function existing(r: number): Promise<string[]> {
  const out: string[] = [];
  if ((await virshResult("pool-info", pool(r))).code === 0) {
    out.push(`pool/${pool(r)}`);
    const vols: string[] = await volumeNames(pool(r)).catch(() => []);
    for (const v of VOLUMES) if (vols.includes(v)) out.push(`volume/${pool(r)}/${v}`);
  }
  if ((await virshResult("dominfo", guest(r))).code === 0) out.push(`domain/${guest(r)}`);
  return out;
}

const everything = (r: number) => [
  `pool/${pool(r)}`,
  ...VOLUMES.map((v) => `volume/${pool(r)}/${v}`),
  `domain/${guest(r)}`,
];

beforeAll(async () => {
  mkdirSync(policies, { recursive: true });
  controller = await startController({
    dataDir: join(dir.path, "controller"),
    policiesDir: policies,
    extraArgs: ["--plan-timeout", "0"],
  });
  agent = spawnAgent();
  await waitForHost(controller.address, host, true);
});

afterAll(async () => {
  await stopAll();
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("kill -9 of the agent while it converges a new bundle", () => {
  it(`every object created has its change record delivered exactly once, as intentional/apply (${ROUNDS} random kill points)`, async () => {
    const killedAfterMs: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const bundlesBefore = agent.logs().filter((l) => l.msg === "new policy bundle").length;
      writeRound(r);
      await waitFor(
        `round ${r}: the new bundle at the agent`,
        () => (agent.logs().filter((l) => l.msg === "new policy bundle").length > bundlesBefore ? true : undefined),
        30_000,
        5,
      );
      // Somewhere inside the converge (pool build, volume creates, guest define and start), or just after it.
      const delay = process.env.VFT_KILL_MS ? Number(process.env.VFT_KILL_MS) : Math.floor(Math.random() * 1_500);
      killedAfterMs.push(delay);
      await new Promise((res) => setTimeout(res, delay));
      await agent.stop("SIGKILL");
      agent = spawnAgent();
      await waitFor(
        `round ${r}: every object converged and the host compliant with the round's policy`,
        async () => {
          if ((await existing(r)).length < everything(r).length) return undefined;
          if ((await virshResult("domstate", guest(r))).stdout.trim() !== "running") return undefined;
          const c = await compliance();
          const p = c.hosts.find((h) => h.name === host)?.policies.find((x) => x.name === `crash-${r}`);
          return p?.status === "compliant" ? true : undefined;
        },
        90_000,
        250,
        async () =>
          `existing: ${(await existing(r)).join(", ")}; killed after ${killedAfterMs.join(", ")} ms\n${agent
            .logs()
            .filter((l) => Number(l.level) >= 40 || /drift|enforcement run|bundle/.test(l.msg))
            .map((l) => JSON.stringify(l).slice(0, 400))
            .join("\n")}`,
      );
      // what the agent sends after its report (nothing should be missing by then)
      await new Promise((res) => setTimeout(res, 500));
      const records = await drift();
      for (const id of await existing(r)) {
        const mine = records.filter((d) => `${d.kind}/${d.name}` === id);
        const why = `${id} (killed ${delay} ms after the bundle arrived): ${JSON.stringify(mine)}`;
        expect(new Set(mine.map((d) => d.id)).size, why).toBe(1);
        expect(mine[0], why).toMatchObject({ classification: "intentional", source: "apply", remediation: "repaired" });
        expect(mine[0]!.resolvedAt, why).toBeDefined();
      }
    }
  }, 400_000);
});
