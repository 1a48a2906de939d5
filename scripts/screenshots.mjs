// Regenerates docs/screenshots/*.png: one screenshot per dashboard page, taken by headless
// Chromium (playwright-core) from a controller started here on a seeded store (24 hosts, their
// facts, a policy's outcomes and some drift: bench/lib/dashboard-fleet.ts) in a temporary folder.
// Pages that answer 404 (not built yet) are skipped and named. Needs `npm run build` first.
//
// Run: npm run build && node scripts/screenshots.mjs [--chromium /usr/bin/chromium]
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, "dist");
if (!existsSync(join(dist, "controller", "index.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
const { values: args } = parseArgs({ options: { chromium: { type: "string", default: "/usr/bin/chromium" } } });
const { Controller } = await import(join(dist, "controller", "index.js"));
const { WebSessionStore } = await import(join(dist, "controller", "web", "index.js"));
const { openDatabase, silentLogger } = await import(join(dist, "common", "index.js"));
const { CONTROLLER_MIGRATIONS } = await import(join(dist, "controller", "database", "index.js"));
const { seedDashboardFleet, markConnected } = await import(join(dist, "bench", "lib", "dashboard-fleet.js"));
const { chromium } = await import("playwright-core");

/**
 * The fleet pages, in the navigation's order: file name and path. The live pages (drift,
 * compliance, rollout, audit) are taken by scripts/screenshots-live.mjs from real agents
 * (`npm run screenshots` runs both).
 */
const PAGES = [
  ["overview", "/"],
  ["hosts", "/hosts"],
  ["host", "/hosts/kvm08.lab"],
];

const out = join(root, "docs", "screenshots");
mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), "vf-screenshots-"));
const dataDir = join(tmp, "controller");
const policiesDir = join(tmp, "policies");
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
mkdirSync(policiesDir, { recursive: true });
writeFileSync(
  join(policiesDir, "inventory.yaml"),
  [
    "groups:",
    "  rack-a: {hosts: ['kvm[01:12].lab'], labels: {rack: a}}",
    "  rack-b: {hosts: ['kvm[13:24].lab'], labels: {rack: b}}",
    "  kvm: {children: [rack-a, rack-b]}",
    "",
  ].join("\n"),
);
const controller = new Controller({
  listen: { host: "127.0.0.1", port: 0 },
  dataDir,
  policiesDir,
  insecure: true,
  web: { listen: { host: "127.0.0.1", port: 0 } },
  rollouts: { planTimeoutMs: 0 },
  log: silentLogger(),
});
let browser;
try {
  await controller.start();
  // seeded once it runs: at start a controller recomputes the bundles of the hosts it knows
  const names = seedDashboardFleet(dataDir, 24, (i) => `kvm${String(i + 1).padStart(2, "0")}.lab`, 0);
  markConnected(dataDir, names.slice(0, 20));
  const side = openDatabase(join(dataDir, "controller.db"), CONTROLLER_MIGRATIONS);
  const { token } = await new WebSessionStore(side).createSignIn("alice", "operator");
  side.close();
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${controller.webUrl}/signin?token=${token}`);
  const skipped = [];
  for (const [name, path] of PAGES) {
    const r = await page.goto(controller.webUrl + path, { waitUntil: "load" });
    if (r?.status() === 404) {
      skipped.push(path);
      continue;
    }
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
    console.log(`docs/screenshots/${name}.png  ${path}`);
  }
  if (skipped.length > 0) console.log(`skipped (404, not built): ${skipped.join(" ")}`);
} finally {
  await browser?.close();
  await controller.stop();
  rmSync(tmp, { recursive: true, force: true });
}
