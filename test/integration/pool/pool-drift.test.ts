/**
 * Drift of pools behind virtfleet's back, injected as an operator would (`virsh pool-define`
 * of an edited XML, same name and UUID): the Enforcer against the real libvirtd sees it (the
 * libvirt "defined" event, and the watch on /etc/libvirt/storage, which this test checks on
 * its own), records it as `corrective`, repairs it in enforce mode and only reports it in
 * audit mode. A dir pool moved to another directory and an fs pool moved to another device.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutostartWatcher, DEFAULT_CONFIG_DIRS, Enforcer, type DriftRecord } from "../../../agent/enforce/index.js";
import { AgentStore } from "../../../agent/state/index.js";
import { createLogger, type PoolSpec } from "../../../common/index.js";
import { detectDomainEnv, parsePoolXml } from "../../../kinds/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { tempDir } from "../../harness/processes.js";
import { resolvedPolicy } from "../../harness/specs.js";
import { virsh, virshResult } from "../../harness/virsh.js";
import { detachLoop, loopDevice, probe, removePools, run } from "./pool-run.js";

const prefix = `vft-pl-${randomBytes(3).toString("hex")}-`;
const dir = tempDir("vft-pl-");
const log = createLogger("pool-drift-test", process.env.VFT_LOG_LEVEL ?? "silent");
const dirPool = `${prefix}ddir`;
const fsPool = `${prefix}dfs`;
const builtPool = `${prefix}dfsb`;
const loops: string[] = [];
let hv: Hypervisor;
let store: AgentStore;
let enforcer: Enforcer;
let specs: PoolSpec[] = [];

function bundle(revision: string, generation: number, mode: "enforce" | "audit") {
  const p = resolvedPolicy("pooldrift", { pools: specs }, { mode });
  return { revision, generation, policies: [{ name: p.name, revision: "p1", mode, resolvedJson: JSON.stringify(p) }] };
}

const drifts = () =>
  store.outbox
    .pending(0, 1_000_000)
    .filter((e) => e.type === "drift")
    .map((e) => ({ seq: e.eventSeq, createdAt: e.createdAt, body: JSON.parse(e.payloadJson) as DriftRecord }));
const latencies: number[] = [];
const lastSeq = () => store.outbox.stats().lastEventSeq;

async function waitFor<T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(drifts().map((d) => d.body))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `virsh pool-define` of the pool's XML with `edit` applied (same name and UUID). */
async function redefineBehindTheBack(pool: string, edit: (xml: string) => string): Promise<void> {
  const xml = edit(await virsh("pool-dumpxml", "--inactive", pool));
  const file = join(dir.path, `${pool}.xml`);
  writeFileSync(file, xml);
  await virsh("pool-define", file);
  injectedAt = Date.now();
}
let injectedAt = 0;

const inactive = async (pool: string) => parsePoolXml(await virsh("pool-dumpxml", "--inactive", pool));

let dev1 = "";
let dev2 = "";
let dev3 = "";
let dev4 = "";
const dirA = join(dir.path, "a");
const dirB = join(dir.path, "b");
const mnt = join(dir.path, "mnt");
const mntB = join(dir.path, "mnt-b");

beforeAll(async () => {
  mkdirSync(dirB);
  dev1 = await loopDevice(join(dir.path, "d1.img"), 32);
  loops.push(dev1);
  dev2 = await loopDevice(join(dir.path, "d2.img"), 32);
  loops.push(dev2);
  dev3 = await loopDevice(join(dir.path, "d3.img"), 32);
  loops.push(dev3);
  dev4 = await loopDevice(join(dir.path, "d4.img"), 32);
  loops.push(dev4);
  for (const d of [dev1, dev2, dev3, dev4]) await run("mkfs.ext4", ["-q", "-F", d]);
  specs = [
    { name: dirPool, type: "dir", path: dirA, autostart: false, state: "active" },
    {
      name: fsPool,
      type: "fs",
      path: mnt,
      source: { device: dev1, format: "ext4" },
      autostart: false,
      state: "active",
    },
    {
      name: builtPool,
      type: "fs",
      path: mntB,
      source: { device: dev3, format: "ext4" },
      build: true,
      overwrite: true,
      autostart: false,
      state: "active",
    },
  ];
  hv = await Hypervisor.open();
  store = AgentStore.openFile(":memory:");
  store.bundles.save({ revision: "rev-1", generation: 1, bundleJson: JSON.stringify(bundle("rev-1", 1, "enforce")) });
  enforcer = new Enforcer({
    hypervisor: () => Promise.resolve(hv),
    store,
    log,
    resyncIntervalMs: 0,
    flap: { threshold: 5, windowMs: 60_000 },
    shutdownTimeoutMs: 5_000,
    domainEnv: await detectDomainEnv(),
  });
  enforcer.start();
  await waitFor("pools created", () => (enforcer.revision === "rev-1" ? true : undefined));
  await enforcer.idle();
});

afterAll(async () => {
  if (latencies.length > 0)
    console.log(
      `pool drift detection latency (virsh pool-define returned → drift in outbox), ms: ${latencies.join(", ")}`,
    );
  await enforcer?.stop();
  await removePools([dirPool, fsPool, builtPool]);
  for (const d of loops) await detachLoop(d);
  await hv?.close();
  store?.close();
  dir.cleanup();
});

describe("pool drift", () => {
  it("the watch on libvirt's pool definitions fires for a pool-define behind the agent's back", async () => {
    const seen: string[] = [];
    const watcher = new AutostartWatcher(
      DEFAULT_CONFIG_DIRS.filter((d) => d.kind === "pool"),
      (kind, name) => {
        if (kind === "pool" && name !== null) seen.push(name);
      },
      log,
    );
    watcher.start();
    try {
      await enforcer.idle();
      // the enforcer created it at start; its own re-checks (the watch sees its defines) may still run
      let last = "";
      for (let i = 0; i < 50 && last !== dirA; i++) {
        const r = await virshResult("pool-dumpxml", "--inactive", dirPool);
        last = r.code === 0 ? (parsePoolXml(r.stdout).path ?? "") : `(${r.stderr.trim()})`;
        if (last !== dirA) await new Promise((r) => setTimeout(r, 100));
      }
      expect(last).toBe(dirA);
      await redefineBehindTheBack(dirPool, (x) => x);
      await waitFor("config-dir watch", () => (seen.includes(dirPool) ? true : undefined), 5_000);
    } finally {
      watcher.close();
    }
  });

  it("enforce: a dir pool redefined onto another directory is seen, corrective, and repaired", async () => {
    await enforcer.idle();
    const mark = lastSeq();
    await redefineBehindTheBack(dirPool, (x) => x.replace(`<path>${dirA}</path>`, `<path>${dirB}</path>`));
    const detected = await waitFor("drift", () =>
      drifts().find((d) => d.seq > mark && d.body.name === dirPool && d.body.fields.some((f) => f.field === "path")),
    );
    latencies.push(detected.createdAt - injectedAt);
    expect(latencies.at(-1)!).toBeLessThan(1_000);
    expect(detected.body).toMatchObject({ kind: "pool", classification: "corrective", remediation: "repaired" });
    expect(detected.body.fields).toContainEqual({
      field: "path",
      desiredJson: JSON.stringify(dirA),
      actualJson: JSON.stringify(dirB),
    });
    await waitFor("repaired", () =>
      drifts().find((d) => (d.body.id === detected.body.id && d.body.resolvedAtMs > 0 ? d : undefined)),
    );
    await enforcer.idle();
    expect((await inactive(dirPool)).path).toBe(dirA);
  });

  it("enforce: an fs pool redefined onto another source device is seen and repaired", async () => {
    await enforcer.idle();
    const mark = lastSeq();
    await redefineBehindTheBack(fsPool, (x) => x.replace(`<device path='${dev1}'/>`, `<device path='${dev2}'/>`));
    const detected = await waitFor("drift", () =>
      drifts().find(
        (d) => d.seq > mark && d.body.name === fsPool && d.body.fields.some((f) => f.field === "source.device"),
      ),
    );
    latencies.push(detected.createdAt - injectedAt);
    expect(latencies.at(-1)!).toBeLessThan(1_000);
    expect(detected.body, detected.body.detail).toMatchObject({
      classification: "corrective",
      remediation: "repaired",
    });
    await waitFor("repaired", () =>
      drifts().find((d) => (d.body.id === detected.body.id && d.body.resolvedAtMs > 0 ? d : undefined)),
    );
    await enforcer.idle();
    expect((await inactive(fsPool)).source.device).toBe(dev1);
  });

  // (an empty pool: one holding volumes is never moved, not even back — refusals.ts)
  it("enforce: a pool virtfleet formatted (build, overwrite) is moved back onto its device without formatting it again", async () => {
    await enforcer.idle();
    const uuid = (await probe(dev3)).UUID;
    const mark = lastSeq();
    await redefineBehindTheBack(builtPool, (x) => x.replace(`<device path='${dev3}'/>`, `<device path='${dev4}'/>`));
    const detected = await waitFor("drift", () =>
      drifts().find(
        (d) => d.seq > mark && d.body.name === builtPool && d.body.fields.some((f) => f.field === "source.device"),
      ),
    );
    await waitFor("repaired", () =>
      drifts().find((d) => (d.body.id === detected.body.id && d.body.resolvedAtMs > 0 ? d : undefined)),
    );
    await enforcer.idle();
    expect(detected.body.remediation, detected.body.detail).toBe("repaired");
    expect((await inactive(builtPool)).source.device).toBe(dev3);
    expect((await probe(dev3)).UUID).toBe(uuid);
  });

  it("audit: the same drift is only reported; the definition stays as the operator left it", async () => {
    await enforcer.idle();
    expect(enforcer.setBundle(bundle("rev-2", 2, "audit"))).toEqual({ accepted: true, changed: true });
    await enforcer.idle();
    const mark = lastSeq();
    await redefineBehindTheBack(dirPool, (x) => x.replace(`<path>${dirA}</path>`, `<path>${dirB}</path>`));
    const reported = await waitFor("reported drift", () =>
      drifts().find((d) => d.seq > mark && d.body.name === dirPool && d.body.remediation === "reported"),
    );
    latencies.push(reported.createdAt - injectedAt);
    expect(reported.body).toMatchObject({ classification: "corrective", resolvedAtMs: 0 });
    await new Promise((r) => setTimeout(r, 500));
    await enforcer.idle();
    expect((await inactive(dirPool)).path).toBe(dirB);
  });
});
