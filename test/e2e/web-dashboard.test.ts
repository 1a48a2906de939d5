import { get as httpsGet } from "node:https";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../common/index.js";
import { Controller } from "../../controller/index.js";
import { runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { createToken, startSecureAgent, type SecureController } from "../harness/secure-fleet.js";

// The dashboard against a real controller (the Controller class, secure mode: HTTPS with its
// server certificate) and a real agent process, driven by headless Chromium: `virtfleet web
// login` → the link → overview, hosts table, host page; the link refused the second time and
// after 60 s (the sessions' clock is moved, not slept); a viewer's forged POST refused (403)
// and audited. Then the shipped CLI (the bundle) serving the dashboard's assets.

const CHROMIUM = "/usr/bin/chromium";
const tmp = tempDir("vft-webdash-");
const host = `vft-webdash-${process.pid}`;
const policy = `vft-webdash-${process.pid}`;
const dataDir = join(tmp.path, "controller");
const policiesDir = join(tmp.path, "policies");
let skewMs = 0;
let controller: Controller;
let fleet: SecureController;
let agent: Proc;
let browser: Browser;
let context: BrowserContext;
let base = "";

const cli = (...args: string[]) => runCli([...args, "--controller", fleet.address, "--data", dataDir]);

async function signInUrl(role?: string): Promise<string> {
  const r = await cli("web", "login", ...(role ? ["--role", role] : []));
  expect(r.code, r.stderr).toBe(0);
  const url = r.stdout.trim();
  expect(url).toMatch(new RegExp(`^${base}/signin\\?token=[A-Za-z0-9_-]{43}$`));
  return url;
}

beforeAll(async () => {
  mkdirSync(policiesDir, { recursive: true });
  writeFileSync(
    join(policiesDir, "inventory.yaml"),
    stringify({ groups: { "web-core": { hosts: [host], labels: { rack: "r7" } } } }),
  );
  // A policy for the host that touches nothing in libvirt: it shows on the host page with its revision.
  writeFileSync(
    join(policiesDir, "p.yaml"),
    stringify({
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: policy },
      spec: { targets: { hosts: [host] }, resources: { domains: [] } },
    }),
  );
  controller = new Controller({
    listen: { host: "127.0.0.1", port: 0 },
    dataDir,
    policiesDir,
    insecure: false,
    web: { listen: { host: "127.0.0.1", port: 0 }, now: () => Date.now() + skewMs },
    rollouts: { planTimeoutMs: 0 },
    log: silentLogger(),
  });
  const address = await controller.start();
  base = controller.webUrl!;
  fleet = { address: `127.0.0.1:${address.port}`, port: address.port, dataDir } as SecureController;
  agent = startSecureAgent(fleet, host, join(tmp.path, "agent"), (await createToken(fleet)).token);
  await waitFor(
    "the agent to connect",
    async () => {
      if (!agent.running) throw new Error(`agent exited: ${agent.stderr.slice(-2000)}`);
      const r = await cli("hosts", "--json");
      return (JSON.parse(r.stdout) as { name: string; connected: boolean }[]).find(
        (h) => h.name === host && h.connected,
      );
    },
    30_000,
    250,
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  // Chromium does not know the controller's CA: the certificate is checked below with Node's TLS.
  context = await browser.newContext({ ignoreHTTPSErrors: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await controller?.stop();
  tmp.cleanup();
});

describe("the web dashboard", () => {
  it("serves HTTPS with the controller's server certificate, valid for the --web-listen host", async () => {
    const ca = readFileSync(join(dataDir, "pki", "ca.cert.pem"), "utf8");
    const status = await new Promise<number>((resolve, reject) =>
      httpsGet(`${base}/signin`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject),
    );
    expect(status).toBe(200);
  });

  it("signs in with `virtfleet web login`: the overview, the hosts table, the host page", async () => {
    const page = await context.newPage();
    const url = await signInUrl();
    await page.goto(url);
    // the token left the address bar
    expect(page.url()).toBe(`${base}/`);
    await expect(page.locator("h1").textContent()).resolves.toBe("Overview");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "__Host-virtfleet-session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    await expect(page.locator(".who").textContent()).resolves.toMatch(/admin\s+admin/);
    // the overview counts the connected host
    const connected = page.locator('a.tile[href="/hosts?state=connected"] .n');
    await expect(connected.textContent()).resolves.toBe("1");

    await page.click('nav a[href="/hosts"]');
    await page.waitForURL(`${base}/hosts`);
    const row = page.locator("table.hosts tbody tr", { hasText: host });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.locator("td").nth(1).textContent()).resolves.toContain("connected");
    // filters: group, label, state, and a search that keeps nothing
    for (const q of ["group=web-core", "label=rack%3Dr7", "state=connected", `q=${host.slice(4)}`]) {
      await page.goto(`${base}/hosts?${q}`);
      await expect(page.locator("table.hosts tbody tr", { hasText: host }).count(), q).resolves.toBe(1);
    }
    await page.goto(`${base}/hosts?q=no-such-host`);
    await expect(page.locator("table.hosts tbody tr").count()).resolves.toBe(0);
    await page.goto(`${base}/hosts?fact=hostname%3Dsurely-not-this`);
    await expect(page.locator("table.hosts tbody tr").count()).resolves.toBe(0);

    await page.goto(`${base}/hosts`);
    await page.click(`a[href="/hosts/${host}"]`);
    await page.waitForURL(`${base}/hosts/${host}`);
    await expect(page.locator("h1").textContent()).resolves.toBe(`Host ${host}`);
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("connected");
    expect(text).toContain("web-core");
    expect(text).toContain("rack=r7");
    // facts the agent reported, and the first fact-history entry
    expect(text).toMatch(/cpu/);
    await expect(page.locator("h2:has-text('Fact changes') + table tbody tr").count()).resolves.toBeGreaterThan(0);
    // the policy with its revision, once the host has it
    await waitFor(
      "the policy on the host page",
      async () => {
        await page.reload();
        return ((await page.locator("main").textContent()) ?? "").includes(policy) ? true : undefined;
      },
      20_000,
      500,
    );
    // an operator action is enabled for an admin session and works without JavaScript semantics
    await page.click('form.actions button[type="submit"]');
    await page.waitForURL(`${base}/hosts/${host}?resync=sent`);
    await page.close();
  });

  it("refuses the link the second time, and after 60 s", async () => {
    const page = await context.newPage();
    const url = await signInUrl("viewer");
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    const first = await other.newPage();
    await first.goto(url);
    expect(first.url()).toBe(`${base}/`);
    await other.close();
    const again = await page.goto(url);
    expect(again?.status()).toBe(403);
    await expect(page.locator(".refused").textContent()).resolves.toMatch(/already used/);

    const late = await signInUrl("viewer");
    skewMs = 61_000;
    try {
      const r = await page.goto(late);
      expect(r?.status()).toBe(403);
      await expect(page.locator(".refused").textContent()).resolves.toMatch(/expired/);
    } finally {
      skewMs = 0;
    }
    await page.close();
  });

  it("shows a viewer the operator action disabled, and refuses and audits its forged POST", async () => {
    const viewer = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await viewer.newPage();
    await page.goto(await signInUrl("viewer"));
    await page.goto(`${base}/hosts/${host}`);
    await expect(page.locator("form.actions button").isDisabled()).resolves.toBe(true);
    // forged: the viewer's own CSRF token (taken from the page) on the operator action
    const csrf = await page.locator('form.actions input[name="csrf"]').getAttribute("value");
    const forged = await page.request.post(`${base}/hosts/${host}/resync`, { form: { csrf: csrf ?? "" } });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toMatch(/needs role operator/);
    // and without any CSRF token at all
    const noToken = await page.request.post(`${base}/hosts/${host}/resync`, { form: {} });
    expect(noToken.status()).toBe(403);
    await viewer.close();

    const r = await cli("audit", "--json");
    expect(r.code, r.stderr).toBe(0);
    const records = (JSON.parse(r.stdout) as { records?: unknown[] }).records ?? (JSON.parse(r.stdout) as unknown[]);
    const refusals = (
      records as { actor: string; action: string; target: string; detail: Record<string, unknown> }[]
    ).filter((x) => x.action === "host.resync" && x.target === host && x.detail?.denied);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.every((x) => x.actor === "admin:admin" && x.detail.via === "web")).toBe(true);
    expect(JSON.stringify(refusals)).toMatch(/needs role operator; admin:admin has role viewer/);
    // the sign-in links were audited, without their tokens
    expect(JSON.stringify(records)).toMatch(/"web\.signin"/);
    expect(JSON.stringify(records)).not.toMatch(/token=/);
  });
});

describe("a revoked admin", () => {
  it("loses its dashboard sessions with its certificates", async () => {
    const bobDir = join(tmp.path, "bob");
    const created = await cli("admin", "create", "bob", "--role", "operator", "--out", bobDir);
    expect(created.code, created.stderr).toBe(0);
    const asBob = await runCli(["web", "login", "--controller", fleet.address, "--data", bobDir]);
    expect(asBob.code, asBob.stderr).toBe(0);
    // bob's credential caps the role it may ask for
    const tooHigh = await runCli(["web", "login", "--role", "admin", "--controller", fleet.address, "--data", bobDir]);
    expect(tooHigh.code).toBe(4);
    expect(tooHigh.stderr).toMatch(/needs role admin; admin:bob has role operator/);
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    await page.goto(asBob.stdout.trim());
    await expect(page.locator(".who").textContent()).resolves.toMatch(/bob\s+operator/);
    const revoked = await cli("cert", "revoke", "--admin", "bob");
    expect(revoked.code, revoked.stderr).toBe(0);
    await page.goto(`${base}/hosts`);
    expect(page.url()).toBe(`${base}/signin`);
    await ctx.close();
  });
});

describe("the shipped CLI's dashboard", () => {
  it("serves htmx, its SSE extension and the stylesheet from the bundle", async () => {
    const dir = join(tmp.path, "insecure");
    mkdirSync(join(dir, "policies"), { recursive: true });
    const proc = spawnCli([
      "controller",
      "--insecure",
      "--listen",
      "127.0.0.1:0",
      "--web-listen",
      "127.0.0.1:0",
      "--data",
      dir,
      "--policies",
      join(dir, "policies"),
    ]);
    const url = await waitFor(
      "the dashboard line",
      () => {
        if (!proc.running) throw new Error(`controller exited: ${proc.stderr}`);
        return /dashboard on (http:\/\/\S+)/.exec(proc.stdout)?.[1];
      },
      20_000,
      50,
    );
    for (const [path, text] of [
      ["/assets/htmx.min.js", "htmx"],
      ["/assets/sse.min.js", "sse"],
      ["/assets/dashboard.css", "--fg"],
    ]) {
      const r = await fetch(url + path);
      expect(r.status, path).toBe(200);
      expect(await r.text()).toContain(text);
    }
    await proc.stop();
  });
});
