#!/usr/bin/env node
// Regenerates docs/screenshots/{drift,compliance,rollout,audit}.png: the dashboard's live pages
// from a real controller (the built CLI, --insecure: plain HTTP on loopback) with two real
// agents on this machine's libvirtd, after real drift (`virsh destroy` of managed guests, which
// the agents repair), compliance snapshots every 5 s, and a staged rollout left soaking.
// Every libvirt object is named `vft-shots<hex>-…` and removed at the end.
// One thing is not live: a trend needs hours of snapshots, so before the compliance screenshot
// the script writes 23 backdated hourly snapshots into the controller's store (copies of its
// newest real one, with a made-up dip to 50 % and 0 %); the newest points are the real ones.
//
// Run: npm run build && node scripts/screenshots-live.mjs   (needs libvirtd and /usr/bin/chromium)
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { chromium } from "playwright-core";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(root, "dist", "bin", "virtfleet.js");
const OUT = join(root, "docs", "screenshots");
const prefix = `vft-shots${randomBytes(3).toString("hex")}-`;
const hosts = [`${prefix}h1`, `${prefix}h2`];
const APP = "web-app";
const GUARD = "guests";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

function start(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child.out = "";
  child.err = "";
  child.stdout.on("data", (d) => (child.out += d));
  child.stderr.on("data", (d) => (child.err += d));
  children.push(child);
  return child;
}

async function until(what, probe, timeoutMs = 60_000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const virsh = (...args) =>
  run("virsh", ["-q", "-c", "qemu:///system", ...args]).then(
    (r) => r.stdout,
    (e) => ({ failed: true, stderr: String(e.stderr ?? e) }),
  );

function policy(name, spec) {
  return JSON.stringify({ apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name }, spec });
}

const guardDoc = policy(GUARD, {
  rollout: { canary: 0, batchSize: "100%", soak: "0s" },
  resources: {
    domains: [{ name: "${host.name}-web", vcpus: 1, memory: "64MiB", state: "running", autostart: false }],
  },
});
const appDoc = (mib, soak) =>
  policy(APP, {
    rollout: { canary: 1, batchSize: 1, soak, maxFailures: 0, onFailure: "rollback" },
    resources: {
      domains: [{ name: "${host.name}-cfg", vcpus: 1, memory: `${mib}MiB`, state: "shutoff", autostart: false }],
    },
  });

/** Backdated hourly snapshots (see the header): copies of the newest one with `percentAt(hoursAgo)`. */
function backdateSnapshots(dbFile, percentAt) {
  const db = new Database(dbFile);
  try {
    db.pragma("busy_timeout = 5000");
    const newest = db.prepare("SELECT report_json FROM compliance_snapshots ORDER BY taken_at DESC LIMIT 1").get();
    if (!newest) throw new Error("no compliance snapshot yet");
    const insert = db.prepare("INSERT INTO compliance_snapshots (taken_at, report_json) VALUES (?, ?)");
    const now = Date.now();
    for (let h = 1; h <= 23; h++) {
      const report = JSON.parse(newest.report_json);
      const percent = percentAt(h);
      report.fleet.compliant = Math.round((report.fleet.hosts * percent) / 100);
      report.fleet.percent = percent;
      report.generatedAt = new Date(now - h * 3_600_000).toISOString();
      insert.run(now - h * 3_600_000, JSON.stringify(report));
    }
  } finally {
    db.close();
  }
}

async function cleanup(dir) {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await sleep(1_500);
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  const list = await virsh("list", "--all", "--name");
  if (typeof list === "string")
    for (const d of list
      .split("\n")
      .map((l) => l.trim())
      .filter((n) => n.startsWith(prefix))) {
      await virsh("destroy", d);
      await virsh("undefine", d, "--nvram");
    }
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "vft-shots-"));
  try {
    const data = join(dir, "data");
    const policies = join(dir, "policies");
    mkdirSync(policies, { recursive: true });
    writeFileSync(join(policies, "guests.yaml"), guardDoc);
    writeFileSync(
      join(policies, "inventory.yaml"),
      JSON.stringify({ groups: { lab: { hosts, labels: { site: "lab" } } } }),
    );
    const controller = start([
      "controller",
      "--insecure",
      "--listen",
      "127.0.0.1:0",
      "--web-listen",
      "127.0.0.1:0",
      "--data",
      data,
      "--policies",
      policies,
      "--compliance-snapshot",
      "*/5 * * * * *",
    ]);
    const address = await until("the controller", () => {
      if (controller.exitCode !== null) throw new Error(`controller exited: ${controller.err}`);
      return /listening on (\S+)/.exec(controller.out)?.[1];
    });
    const base = await until("the dashboard", () => /dashboard on (http:\/\/\S+)/.exec(controller.out)?.[1]);
    const cli = async (...args) =>
      (await run(process.execPath, [CLI, ...args, "--controller", address, "--insecure"])).stdout;
    for (const h of hosts)
      start([
        "agent",
        "--insecure",
        "--controller",
        address,
        "--name",
        h,
        "--state-dir",
        join(dir, h),
        "--max-backoff",
        "1s",
      ]);
    await until("the agents", async () => {
      const list = JSON.parse(await cli("hosts", "--json"));
      return hosts.every((h) => list.some((x) => x.name === h && x.connected));
    });
    const state = async (d) => {
      const r = await virsh("domstate", d);
      return typeof r === "string" ? r.trim() : "";
    };
    for (const h of hosts) await until(`${h}-web running`, async () => (await state(`${h}-web`)) === "running");
    // real drift: destroy the managed guests, the agents start them again
    for (const h of [hosts[0], hosts[1], hosts[0]]) {
      await virsh("destroy", `${h}-web`);
      await until(`${h}-web repaired`, async () => (await state(`${h}-web`)) === "running");
      await sleep(2_000);
    }
    // a staged rollout left soaking after its canary
    writeFileSync(join(policies, "app.yaml"), appDoc(80, "0s"));
    const status = async () => {
      try {
        return JSON.parse(await cli("rollout", "status", APP, "--json"));
      } catch {
        return undefined;
      }
    };
    await until("the first rollout", async () => (await status())?.state === "succeeded");
    writeFileSync(join(policies, "app.yaml"), appDoc(96, "30m"));
    await until("the canary soaking", async () =>
      (await status())?.stages?.some((s) => s.kind === "canary" && s.state === "soaking"),
    );
    // operator actions for the audit log: a pause with its reason, then resume
    await cli("rollout", "pause", APP, "--reason", "hold the canary over lunch");
    await cli("rollout", "resume", APP, "--reason", "canary looks fine");
    // a few more compliance snapshots (every 5 s)
    await sleep(12_000);

    backdateSnapshots(join(data, "controller.db"), (h) => (h === 10 ? 0 : h >= 9 && h <= 12 ? 50 : 100));

    const url = (await cli("web", "login")).trim();
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox"],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      await page.goto(url);
      mkdirSync(OUT, { recursive: true });
      for (const [file, path] of [
        ["drift.png", "/drift"],
        ["compliance.png", "/compliance?range=24h"],
        ["rollout.png", `/rollouts/${APP}`],
        ["audit.png", "/audit"],
      ]) {
        const r = await page.goto(base + path);
        if (r?.status() !== 200) throw new Error(`${path} answered ${r?.status()}`);
        await sleep(500);
        await page.screenshot({ path: join(OUT, file), fullPage: true });
        console.log(`docs/screenshots/${file}  ← ${path}`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    await cleanup(dir);
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
