/**
 * Test helpers of the pool integration tests: a bundle of pools run as the agent runs it
 * (runBundle, enforce or dry-run), loop devices made from image files, and cleanup that
 * only touches what the test made (names under its prefix).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseBundle } from "../../../agent/enforce/bundle.js";
import { runBundle } from "../../../agent/run-bundle/index.js";
import type { AgentStore } from "../../../agent/state/index.js";
import type { PoolSpec } from "../../../common/index.js";
import { createLogger, type Logger } from "../../../common/index.js";
import type { ResourceReport } from "../../../engine/index.js";
import { ownershipScope } from "../../../kinds/ownership/index.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { resolvedPolicy } from "../../harness/specs.js";
import { virsh, virshResult } from "../../harness/virsh.js";

export const run = promisify(execFile);
const log = createLogger("pool-test", process.env.VFT_LOG_LEVEL ?? "silent");
let generation = 0;

/** Runs one policy of `pools` through the engine (enforce, or dry-run) and returns its reports. */
export async function runPools(
  hv: Hypervisor,
  store: AgentStore,
  pools: PoolSpec[],
  o: {
    dryRun?: boolean;
    policy?: string;
    log?: Logger;
    revision?: string;
    rolledBack?: { policy: string; revision: string }[];
  } = {},
): Promise<ResourceReport[]> {
  generation += 1;
  const policy = resolvedPolicy(o.policy ?? "pools", { pools });
  const bundle = parseBundle({
    revision: `b${generation}`,
    generation,
    policies: [
      { name: policy.name, revision: o.revision ?? "r1", mode: "enforce", resolvedJson: JSON.stringify(policy) },
    ],
    rolledBack: o.rolledBack,
  });
  const r = await runBundle(bundle.prepared, {
    mode: o.dryRun ? "dry-run" : "enforce",
    origin: "local",
    host: {
      hv,
      log: o.log ?? log,
      shutdownTimeoutMs: 2_000,
      ownership: ownershipScope(store.ownership, bundle.wire.policies, bundle.rolledBack),
    },
  });
  return r.report.resources;
}

export function only(reports: ResourceReport[], name: string): ResourceReport {
  const r = reports.find((x) => x.kind === "pool" && x.name === name);
  if (!r) throw new Error(`no report for pool/${name}: ${JSON.stringify(reports)}`);
  return r;
}

/** Makes a `mib` MiB image file and attaches it to a free loop device; returns the device. */
export async function loopDevice(image: string, mib: number): Promise<string> {
  await run("truncate", ["-s", `${mib}M`, image]);
  const { stdout } = await run("losetup", ["--find", "--show", image]);
  return stdout.trim();
}

export async function detachLoop(dev: string): Promise<void> {
  await run("losetup", ["-d", dev]).catch(() => undefined);
}

/** `blkid -p` of a device: TYPE, PTTYPE, UUID … (empty when blkid finds nothing). */
export async function probe(dev: string): Promise<Record<string, string>> {
  try {
    const { stdout } = await run("blkid", ["-p", "-o", "export", dev]);
    return Object.fromEntries(
      stdout
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  } catch {
    return {};
  }
}

export async function poolExists(name: string): Promise<boolean> {
  return (await virshResult("pool-info", name)).code === 0;
}

export async function poolState(name: string): Promise<string> {
  return /State:\s+(\S+)/.exec(await virsh("pool-info", name))?.[1] ?? "?";
}

/** Destroys (unmounts) and undefines the pools named here; never deletes their storage. */
export async function removePools(names: readonly string[]): Promise<void> {
  for (const n of names) {
    await virshResult("pool-destroy", n);
    await virshResult("pool-undefine", n);
  }
}
