import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../common/index.js";

/**
 * The built CLI as shipped (package.json "bin": the bundle scripts/bundle-cli.mjs writes); e2e
 * tests run real processes, so `npm run build` must have run (npm test does).
 */
export const CLI = join(projectRoot(), "dist", "bin", "virtfleet.js");

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' (npm test does it for you)`);
}

/** A real child process with its output captured. */
export class Proc {
  private out = "";
  private err = "";
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** JSON log records the process wrote to stderr. */
  logs(): { msg: string; [k: string]: unknown }[] {
    return this.err
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as { msg: string };
        } catch {
          return { msg: l };
        }
      });
  }

  /** Sends `signal` and waits (bounded) for exit; SIGKILL after the bound. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 5_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

const live = new Set<Proc>();

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  assertBuilt();
  return spawnBuiltCli(CLI, args, env);
}

/** As spawnCli, for another build of the CLI (e.g. a previous release's: test/harness/previous-release.ts). */
export function spawnBuiltCli(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, VIRTFLEET_LOG_LEVEL: "debug", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const p = new Proc(child);
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}

/**
 * As spawnCli, with `hostsFile` as the process's /etc/hosts: it runs in a mount namespace of
 * its own (unshare, private propagation) where the file is bind-mounted; nothing outside
 * changes. For names that resolve to several addresses.
 */
export function spawnCliWithHosts(hostsFile: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  assertBuilt();
  const child = spawn(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "--",
      "sh",
      "-c",
      'mount --bind "$0" /etc/hosts && exec "$@"',
      hostsFile,
      process.execPath,
      CLI,
      ...args,
    ],
    { env: { ...process.env, VIRTFLEET_LOG_LEVEL: "debug", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const p = new Proc(child);
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}

/** Kills every process the harness started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop("SIGKILL")));
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/**
 * Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs` saying
 * `what`, followed by what `explain` (when given) says about the state at that moment.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  everyMs = 100,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = explain ? `\n${await explain().catch((e: unknown) => `(no explanation: ${String(e)})`)}` : "";
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}${why}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls `ok` every 10 ms until it holds; resolves with how long that took (ms), or throws after
 * `timeoutMs` saying `what`. For measuring how soon something happens (a takeover, a signal).
 */
export async function waitUntil(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temp folder with a recognisable prefix; `cleanup()` removes it. */
export function tempDir(prefix = "vft-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Writes `content` to the file `name` in `dir` with exactly `mode` (set after the write, so
 * neither the umask nor an earlier version of the file changes it); returns its path.
 */
export function secretFile(dir: string, name: string, content: string | Buffer, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}
