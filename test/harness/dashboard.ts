/**
 * The dashboard's browser tests share this setup: a real controller (the Controller class in
 * secure mode, its web listener on loopback), real agent processes enrolled with a token, and
 * headless Chromium (/usr/bin/chromium via playwright-core). Sign-in goes through `virtfleet
 * web login` (a one-time link) exactly as an operator does it.
 *
 *   const d = await startDashboard({ hosts: ["h1"], files: { "p.yaml": "…" } });
 *   const page = await (await d.signIn("viewer")).newPage();
 *   await page.goto(`${d.base}/drift`);
 *   …
 *   await d.stop();
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from "playwright-core";
import { silentLogger } from "../../common/index.js";
import { Controller, type ControllerOptions } from "../../controller/index.js";
import { runCli, stopAll, tempDir, waitFor, type Proc } from "./processes.js";
import { createToken, startSecureAgent, type SecureController } from "./secure-fleet.js";

export const CHROMIUM = "/usr/bin/chromium";

export type WebRole = "viewer" | "operator" | "admin";

export interface DashboardOptions {
  /** Prefix of the temporary folder. */
  tmpPrefix?: string;
  /** Agents started (and waited for, connected) with these host names. */
  hosts?: string[];
  /** Files written into the policies folder before the controller starts (name → text). */
  files?: Record<string, string>;
  /** More Controller options (web, listen, dataDir, policiesDir and log are set here). */
  controller?: Partial<ControllerOptions>;
  /** More agent flags. */
  agentArgs?: string[];
}

export interface Dashboard {
  controller: Controller;
  /** The controller as the secure-fleet helpers and the CLI address it. */
  fleet: SecureController;
  /** The dashboard's origin, e.g. `https://127.0.0.1:41234`. */
  base: string;
  dataDir: string;
  policiesDir: string;
  agents: Map<string, Proc>;
  browser: Browser;
  /** Moves the web sessions' clock (ms added to Date.now()). */
  skew(ms: number): void;
  /** `virtfleet ARGS --controller … --data …` with the bootstrap admin credential. */
  cli(...args: string[]): ReturnType<typeof runCli>;
  /** A one-time sign-in URL from `virtfleet web login [--role ROLE]`. */
  signInUrl(role?: WebRole): Promise<string>;
  /** A new browser context signed in with `role` (the link followed in it). */
  signIn(role?: WebRole, options?: BrowserContextOptions): Promise<BrowserContext>;
  /** Writes (replaces) a file in the policies folder; returns the time just before. */
  write(file: string, text: string): number;
  /** Closes the browser, stops the agents and the controller, removes the temporary folder. */
  stop(): Promise<void>;
}

/** Starts controller, agents and Chromium; see the module comment. */
export async function startDashboard(o: DashboardOptions = {}): Promise<Dashboard> {
  const tmp = tempDir(o.tmpPrefix ?? "vft-dash-");
  const dataDir = join(tmp.path, "controller");
  const policiesDir = join(tmp.path, "policies");
  mkdirSync(policiesDir, { recursive: true });
  for (const [file, text] of Object.entries(o.files ?? {})) writeFileSync(join(policiesDir, file), text);
  let skewMs = 0;
  const controller = new Controller({
    listen: { host: "127.0.0.1", port: 0 },
    dataDir,
    policiesDir,
    insecure: false,
    rollouts: { planTimeoutMs: 0 },
    log: silentLogger(),
    ...o.controller,
    web: { listen: { host: "127.0.0.1", port: 0 }, now: () => Date.now() + skewMs, ...o.controller?.web },
  });
  const agents = new Map<string, Proc>();
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    await stopAll();
    await controller.stop();
    tmp.cleanup();
  };
  try {
    const address = await controller.start();
    const base = controller.webUrl;
    if (!base) throw new Error("the controller started without its web listener");
    const fleet = { address: `127.0.0.1:${address.port}`, port: address.port, dataDir } as SecureController;
    const cli = (...args: string[]) => runCli([...args, "--controller", fleet.address, "--data", dataDir]);
    for (const name of o.hosts ?? []) {
      const token = (await createToken(fleet)).token;
      agents.set(name, startSecureAgent(fleet, name, join(tmp.path, "agents", name), token, o.agentArgs ?? []));
    }
    await waitFor(
      "the agents to connect",
      async () => {
        for (const [name, p] of agents)
          if (!p.running) throw new Error(`agent ${name} exited: ${p.stderr.slice(-2000)}`);
        const r = await cli("hosts", "--json");
        const connected = new Set(
          (JSON.parse(r.stdout) as { name: string; connected: boolean }[])
            .filter((h) => h.connected)
            .map((h) => h.name),
        );
        return [...agents.keys()].every((n) => connected.has(n)) ? true : undefined;
      },
      60_000,
      250,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    const b = browser;
    const signInUrl = async (role?: WebRole) => {
      const r = await cli("web", "login", ...(role ? ["--role", role] : []));
      if (r.code !== 0) throw new Error(`web login exited ${r.code}: ${r.stderr}`);
      return r.stdout.trim();
    };
    return {
      controller,
      fleet,
      base,
      dataDir,
      policiesDir,
      agents,
      browser: b,
      skew: (ms) => {
        skewMs = ms;
      },
      cli,
      signInUrl,
      async signIn(role, options) {
        // Chromium does not know the controller's CA (tests check the certificate with Node's TLS).
        const context = await b.newContext({ ignoreHTTPSErrors: true, ...options });
        const page = await context.newPage();
        const res = await page.goto(await signInUrl(role));
        if (page.url() !== `${base}/`) throw new Error(`sign-in ended on ${page.url()} (${res?.status()})`);
        await page.close();
        return context;
      },
      write(file, text) {
        const t = Date.now();
        writeFileSync(join(policiesDir, file), text);
        return t;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
