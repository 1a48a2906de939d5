import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../common/paths.js";
import { VERSION } from "../../common/version.js";
import { assertBuilt, tempDir, waitFor } from "../harness/processes.js";

/**
 * The release artefact: `npm pack` of the built tree, installed with `npm install -g --prefix`
 * into a temp folder and run from there with the working directory outside the checkout.
 * npm resolves the dependencies (from its cache when it can, --prefer-offline); the native
 * module's compile is skipped unless VIRTFLEET_RELEASE_COMPILE=1 (see the install test). Durations are printed.
 */
const SLOW = 20 * 60_000;
const run = promisify(execFile);
const tmp = tempDir("vft-release-");
const prefix = join(tmp.path, "prefix");
const bin = join(prefix, "bin", "virtfleet");
let tarball: string;
let files: string[];

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const result = await f();
  console.log(`release artefact: ${what} took ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

/** The installed `virtfleet` (npm's bin link, run through its #! line), in the temp folder. */
function installed(args: string[]) {
  return run(bin, args, { cwd: tmp.path, timeout: 60_000 });
}

beforeAll(async () => {
  assertBuilt();
  await timed("npm pack", () =>
    run("npm", ["pack", projectRoot(), "--pack-destination", tmp.path], { cwd: tmp.path, timeout: 120_000 }),
  );
  const found = readdirSync(tmp.path).filter((f) => /^virtfleet-.*\.tgz$/.test(f));
  expect(found).toHaveLength(1);
  tarball = join(tmp.path, found[0]!);
  files = (await run("tar", ["tzf", tarball], { maxBuffer: 16 << 20 })).stdout.split("\n").filter(Boolean);
}, 150_000);
afterAll(() => tmp.cleanup());

describe("the npm pack tarball", { timeout: SLOW }, () => {
  it("holds the bundle with its chunks, the protos, the systemd units and the README; no sources or tests", () => {
    const chunks = readdirSync(join(projectRoot(), "dist/bin/chunks")).filter((f) => f.endsWith(".js"));
    expect(chunks.length).toBeGreaterThan(0);
    for (const f of [
      "package/package.json",
      "package/README.md",
      "package/dist/bin/virtfleet.js",
      "package/dist/bin/assets/dashboard.css",
      ...chunks.map((c) => `package/dist/bin/chunks/${c}`),
      "package/proto/fleet/v1/agent.proto",
      "package/proto/fleet/v1/admin.proto",
      "package/packaging/systemd/virtfleet-agent.service",
      "package/packaging/systemd/virtfleet-controller.service",
      "package/docs/operations.md",
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /\.ts$|^package\/(test|cli|controller|agent|node_modules)\//.test(f))).toEqual([]);
    expect(files).not.toContain("package/dist/bin/meta.json");
  });

  it("installs with npm install -g --prefix and runs without the checkout: --version, policy validate, a controller, agent install", async () => {
    // npm runs better-sqlite3's install script, which compiles its native module from source
    // here (no prebuilt download offline): ~4 minutes on two cores. By default the test installs
    // with --ignore-scripts and puts this checkout's compiled module (same version, same Node)
    // in its place; VIRTFLEET_RELEASE_COMPILE=1 lets npm compile it as a user's install does.
    const compile = process.env.VIRTFLEET_RELEASE_COMPILE === "1";
    await timed(`npm install -g --prefix (--prefer-offline${compile ? "" : ", --ignore-scripts"})`, () =>
      run(
        "npm",
        [
          "install",
          "-g",
          "--prefix",
          prefix,
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          ...(compile ? [] : ["--ignore-scripts"]),
          tarball,
        ],
        { cwd: tmp.path, timeout: SLOW - 60_000, maxBuffer: 16 << 20 },
      ),
    );
    if (!compile) {
      const sqlite = (root: string) => join(root, "node_modules", "better-sqlite3");
      const ours = sqlite(projectRoot());
      const theirs = sqlite(join(prefix, "lib", "node_modules", "virtfleet"));
      const version = (dir: string) =>
        (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
      expect(version(theirs)).toBe(version(ours));
      mkdirSync(join(theirs, "build", "Release"), { recursive: true });
      copyFileSync(
        join(ours, "build", "Release", "better_sqlite3.node"),
        join(theirs, "build", "Release", "better_sqlite3.node"),
      );
    }

    expect((await installed(["--version"])).stdout.trim()).toBe(VERSION);

    const policies = join(tmp.path, "policies");
    mkdirSync(policies);
    copyFileSync(join(projectRoot(), "policies/web-db.yaml"), join(policies, "web-db.yaml"));
    const v = await installed(["policy", "validate", join(policies, "web-db.yaml")]);
    expect(v.stdout).toMatch(/^valid: 1 policy \(web-db\)/);

    // the controller opens its SQLite store (the install's native better-sqlite3 module) and its PKI
    const data = join(tmp.path, "data");
    const controller = spawn(bin, ["controller", "--listen", "127.0.0.1:0", "--data", data, "--policies", policies], {
      cwd: tmp.path,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    controller.stdout.on("data", (d: Buffer) => (out += d.toString()));
    controller.stderr.on("data", (d: Buffer) => (out += d.toString()));
    try {
      const address = await waitFor(
        "the installed controller to listen",
        () => {
          if (controller.exitCode !== null) throw new Error(`controller exited ${controller.exitCode}: ${out}`);
          return /listening on (\S+)/.exec(out)?.[1];
        },
        30_000,
      );
      expect(
        readFileSync(join(tmp.path, "data", "controller.db"))
          .subarray(0, 15)
          .toString(),
      ).toBe("SQLite format 3");

      // agent install from the installed package: its unit template is in the tarball, ExecStart names the install
      const token = JSON.parse(
        (await installed(["token", "create", "--json", "--controller", address, "--data", data])).stdout,
      ) as { token: string };
      const tokenFile = join(tmp.path, "token");
      writeFileSync(tokenFile, token.token, { mode: 0o600 });
      const root = join(tmp.path, "root");
      const args = ["--controller", address, "--token-file", tokenFile, "--name", "release-a", "--root", root];
      const r = await installed(["agent", "install", ...args, "--no-start"]);
      expect(r.stdout).toContain("enrolled:");
      const unit = readFileSync(join(root, "etc/systemd/system/virtfleet-agent.service"), "utf8");
      const script = realpathSync(join(prefix, "lib/node_modules/virtfleet/dist/bin/virtfleet.js"));
      expect(unit).toContain(`ExecStart=${process.execPath} ${script} agent --config /etc/virtfleet/agent.yaml\n`);
    } finally {
      controller.kill("SIGKILL");
    }
  });
});
