import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { DriftJson } from "../../common/index.js";
import { hostsJson, startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { runCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { policyDoc, type ComplianceJson } from "../harness/rollout.js";
import { cleanupPrefix, testPrefix, virshResult } from "../harness/virsh.js";

// Issue 21 item 7: a full disk. The agent's state folder (and, in the second part, the
// controller's data folder) is a 16 MiB ext4 file system on a loop device, filled with a file
// as an accident would. Enforcement goes on, the controller shows the host `degraded`, the
// events are delivered and written once space returns; a controller whose store cannot
// write tells agents to back off (no reconnect loop) and shows the host's compliance unknown.
const prefix = testPrefix();
const guest = `${prefix}g1`;
const host = `${prefix}host`;
const dir = tempDir("vft-diskfull-");
const policies = join(dir.path, "policies");
const mounts: { image: string; mountPoint: string; loop: string }[] = [];

/** A fresh 16 MiB ext4 file system mounted at `mountPoint`. */
function smallDisk(name: string): string {
  const image = join(dir.path, `${name}.img`);
  const mountPoint = join(dir.path, name);
  mkdirSync(mountPoint, { recursive: true });
  execFileSync("truncate", ["-s", "16M", image]);
  const loop = execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim();
  mounts.push({ image, mountPoint, loop });
  execFileSync("mkfs.ext4", ["-q", "-F", loop]);
  execFileSync("mount", [loop, mountPoint]);
  return mountPoint;
}

/**
 * Writes zeros to `file` until the file system is full (dd then fails with ENOSPC), then again
 * in 4 KiB blocks to more files until not one block more fits (ext4 frees reservations after
 * sync: a single dd leaves a few hundred KiB that SQLite would still use).
 */
function fill(file: string): void {
  const dd = (of: string, bs: string) => {
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${of}`, `bs=${bs}`], { stdio: "ignore" });
    } catch {
      // "No space left on device": the point
    }
    execFileSync("sync");
  };
  dd(file, "1M");
  for (let i = 1; i <= 5; i++) dd(`${file}.${i}`, "4k");
}

/** Removes what fill() wrote. */
function unfill(file: string): void {
  rmSync(file, { force: true });
  for (let i = 1; i <= 5; i++) rmSync(`${file}.${i}`, { force: true });
  execFileSync("sync");
}

function writePolicy(): void {
  mkdirSync(policies, { recursive: true });
  const doc = policyDoc("disk", {
    mode: "enforce",
    resources: { domains: [{ name: guest, vcpus: 1, memory: "64MiB", state: "running", autostart: false }] },
  });
  writeFileSync(join(policies, "disk.yaml"), stringify(doc));
}

async function domstate(): Promise<string> {
  return (await virshResult("domstate", guest)).stdout.trim();
}

async function drift(c: StartedController): Promise<DriftJson[]> {
  const r = await runCli(["drift", "--json", "--host", host, "--controller", c.address, "--insecure"]);
  if (r.code !== 0) throw new Error(`drift exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DriftJson[];
}

async function compliance(c: StartedController): Promise<ComplianceJson["hosts"][number] & { unknownReason?: string }> {
  const r = await runCli(["compliance", "--json", "--controller", c.address, "--insecure"]);
  // exit 3: not every host is compliant (the document is printed all the same)
  if (r.code !== 0 && r.code !== 3) throw new Error(`compliance exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as ComplianceJson).hosts.find((h) => h.name === host)!;
}

async function running(): Promise<void> {
  await waitFor("the guest running", async () => ((await domstate()) === "running" ? true : undefined), 60_000, 200);
}

beforeAll(() => {
  writePolicy();
});

afterAll(async () => {
  // each step on its own: one failing must not leave a process, guest, mount or loop device behind
  await stopAll().catch(() => undefined);
  await cleanupPrefix(prefix).catch((err: unknown) => console.error("cleanupPrefix failed", err));
  for (const m of mounts.reverse()) {
    try {
      execFileSync("umount", ["-l", m.mountPoint]);
    } catch {
      // not mounted
    }
    try {
      execFileSync("losetup", ["-d", m.loop]);
    } catch {
      // already detached
    }
    rmSync(m.image, { force: true });
  }
  dir.cleanup();
});

describe("the agent's state disk is full", () => {
  let controller: StartedController;
  let agent: Proc;
  const stateDir = () => mounts[0]!.mountPoint;

  it("repairs go on, the host shows degraded, and the events reach the controller", async () => {
    const state = smallDisk("agent-state");
    controller = await startController({ dataDir: join(dir.path, "controller"), policiesDir: policies });
    agent = startAgent({
      controller: controller.address,
      name: host,
      stateDir: state,
      maxBackoff: "1s",
      extraArgs: ["--resync-interval", "1h"],
    });
    await waitForHost(controller.address, host, true);
    await running();
    await waitFor("the host compliant", async () => ((await compliance(controller))?.compliant ? true : undefined));

    fill(join(state, "fill"));
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await virshResult("destroy", guest);
      await running();
      // repaired in about the time of a start, not after ~50 s of "database or disk is full"
      expect(Date.now() - t0).toBeLessThan(20_000);
    }
    const h = await waitFor(
      "the host shown degraded",
      async () => (await hostsJson(controller.address)).find((x) => x.name === host && x.state === "degraded"),
      15_000,
      200,
    );
    expect(h.connected).toBe(true);
    expect(h.stateDetail).toMatch(/state store cannot be written/);
    // the repairs' records were sent from memory while the disk was full
    await waitFor(
      "three resolved repair records of the guest",
      async () => {
        const d = (await drift(controller)).filter((e) => e.name === guest && e.classification === "corrective");
        return d.filter((e) => e.resolvedAt !== undefined).length >= 3 ? true : undefined;
      },
      15_000,
      250,
      async () =>
        `records: ${JSON.stringify((await drift(controller)).map((e) => [e.classification, e.source, e.resolvedAt ?? null]))}\nagent: ${agent
          .logs()
          .filter((l) => /drift|degraded|outbox|controller/.test(l.msg))
          .map((l) => JSON.stringify(l).slice(0, 300))
          .join("\n")}`,
    );
    expect(agent.running).toBe(true);
  }, 180_000);

  it("space back: the held state is written and the host is connected again", async () => {
    unfill(join(stateDir(), "fill"));
    await waitFor(
      "the host no longer degraded",
      async () => (await hostsJson(controller.address)).find((x) => x.name === host && x.state === "connected"),
      15_000,
      200,
    );
    expect(agent.logs().some((l) => l.msg.includes("state folder writable again"))).toBe(true);
    // what was held is on disk now: a kill -9 and restart replays nothing twice and loses nothing
    const before = (await drift(controller)).length;
    await agent.stop("SIGKILL");
    agent = startAgent({
      controller: controller.address,
      name: host,
      stateDir: stateDir(),
      maxBackoff: "1s",
      extraArgs: ["--resync-interval", "1h"],
    });
    await waitForHost(controller.address, host, true);
    await waitFor("the host compliant", async () => ((await compliance(controller))?.compliant ? true : undefined));
    expect((await drift(controller)).length).toBe(before);
    await agent.stop();
    await controller.proc.stop();
  }, 120_000);
});

describe("the controller's data disk is full", () => {
  it("agents back off at least 5 s (no reconnect loop) and the host's compliance is unknown, not compliant", async () => {
    const data = smallDisk("controller-data");
    const controller = await startController({ dataDir: data, policiesDir: policies });
    const agentState = join(dir.path, "agent2");
    const agent = startAgent({
      controller: controller.address,
      name: host,
      stateDir: agentState,
      maxBackoff: "1s",
      extraArgs: ["--resync-interval", "1h"],
    });
    await waitForHost(controller.address, host, true);
    await running();
    await waitFor("the host compliant", async () => ((await compliance(controller))?.compliant ? true : undefined));

    fill(join(data, "fill"));
    // events the store cannot write: a guest destroyed and repaired
    await virshResult("destroy", guest);
    await running();
    const c = await waitFor(
      "the host's compliance unknown",
      async () => {
        const x = await compliance(controller);
        return x?.unknownReason ? x : undefined;
      },
      20_000,
      250,
    );
    expect(c.compliant).toBe(false);
    // count connections over 12 s: with a ≥ 5 s back-off at most 3, where a loop made 2-3 a second
    const connects = () => agent.logs().filter((l) => l.msg === "connected to controller").length;
    const first = connects();
    await new Promise((r) => setTimeout(r, 12_000));
    expect(connects() - first).toBeLessThanOrEqual(3);
    const backoffs = agent
      .logs()
      .filter((l) => l.msg === "controller said goodbye" && typeof l.retryAfterMs === "number")
      .map((l) => l.retryAfterMs as number);
    expect(backoffs.length).toBeGreaterThan(0);
    expect(Math.min(...backoffs)).toBeGreaterThanOrEqual(5_000);
    expect(new Set(backoffs).size > 1 || backoffs.length === 1).toBe(true);

    // space back: the agent replays and the host is compliant again
    unfill(join(data, "fill"));
    await waitFor(
      "the host compliant again",
      async () => {
        const x = await compliance(controller);
        return x?.compliant && !x.unknownReason ? true : undefined;
      },
      40_000,
      500,
    );
    expect(existsSync(agentState)).toBe(true);
  }, 180_000);
});
