import { execFile } from "node:child_process";
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadCredentials } from "../../agent/enroll/index.js";
import { fileMode } from "../../common/pki/index.js";
import { projectRoot } from "../../common/paths.js";
import { CLI, runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import {
  createToken,
  secureHosts,
  startSecureController,
  waitForSecureHost,
  type SecureController,
} from "../harness/secure-fleet.js";

/**
 * `virtfleet agent install --root DIR --no-start` (the built CLI) against a real secure
 * controller: the files it writes and their modes, the enrolment, idempotence, the refusal to
 * overwrite a different config, and an agent started from what it wrote connecting.
 */
const tmp = tempDir("vft-ainst-");
const root = join(tmp.path, "root");
const prefix = `ainst${process.pid}`;
const host = `${prefix}-a`;
const configPath = join(root, "etc/virtfleet/agent.yaml");
const unitPath = join(root, "etc/systemd/system/virtfleet-agent.service");
const stateDir = join(root, "var/lib/virtfleet/agent");
let controller: SecureController;
let tokenFile: string;
let token: string;

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"));
  token = (await createToken(controller)).token;
  tokenFile = join(tmp.path, "token");
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

function install(extra: string[] = [], name = host, file = tokenFile) {
  return runCli([
    "agent",
    "install",
    "--controller",
    controller.address,
    "--token-file",
    file,
    "--name",
    name,
    "--root",
    root,
    "--no-start",
    ...extra,
  ]);
}

/** What identifies the written files' current versions (a rewrite changes the inode: temp + rename). */
function fileIds(): string[] {
  return [configPath, unitPath, join(stateDir, "tls/cert.pem")].map((p) => {
    const s = statSync(p);
    return `${s.ino}:${s.mtimeMs}:${s.mode}`;
  });
}

describe("virtfleet agent install --root DIR --no-start", () => {
  let first: { code: number | null; stdout: string; stderr: string };

  it("enrols and writes agent.yaml (0600, no token) and the unit (0644) under DIR", async () => {
    first = await install();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`enrolled: certificate in ${join(stateDir, "tls")}`);
    expect(first.stdout).toContain(`written: ${configPath} (0600)`);
    expect(first.stdout).toContain(`written: ${unitPath} (0644)`);
    expect(first.stdout).toContain("not started (--no-start)");

    expect(fileMode(configPath)).toBe(0o600);
    expect(parse(readFileSync(configPath, "utf8"))).toEqual({
      controller: controller.address,
      name: host,
      "state-dir": "/var/lib/virtfleet/agent",
    });

    expect(fileMode(unitPath)).toBe(0o644);
    const unit = readFileSync(unitPath, "utf8");
    const shipped = readFileSync(join(projectRoot(), "packaging/systemd/virtfleet-agent.service"), "utf8");
    const exec = `ExecStart=${process.execPath} ${realpathSync(CLI)} agent --config /etc/virtfleet/agent.yaml`;
    expect(unit.split("\n")).toContain(exec);
    expect(unit.replace(/^ExecStart=.*$/m, "")).toBe(shipped.replace(/^ExecStart=.*$/m, ""));

    const creds = loadCredentials(stateDir);
    expect(creds?.host).toBe(host);
    for (const f of ["key.pem", "cert.pem", "ca.pem"]) expect(fileMode(join(stateDir, "tls", f)), f).toBe(0o600);
    expect(fileMode(join(stateDir, "tls"))).toBe(0o700);
    expect(fileMode(stateDir)).toBe(0o700);

    const secret = token.split(".")[2]!;
    for (const text of [first.stdout, first.stderr, readFileSync(configPath, "utf8"), unit])
      expect(text).not.toContain(secret);
  });

  it("the written unit passes systemd-analyze verify (its ExecStart is this node and this CLI)", async (ctx) => {
    if (!existsSync("/usr/bin/systemd-analyze")) ctx.skip(); // package `systemd`
    const r = await promisify(execFile)("/usr/bin/systemd-analyze", ["verify", unitPath]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect(r.stderr).toBe("");
  });

  it("a second run with the same inputs changes nothing and says so (the spent token is not sent again)", async () => {
    const before = fileIds();
    const again = await install();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("already enrolled:");
    expect(again.stdout).toContain(`unchanged: ${configPath}`);
    expect(again.stdout).toContain(`unchanged: ${unitPath}`);
    expect(again.stdout.trim().split("\n").at(-1)).toBe("nothing changed");
    expect(fileIds()).toEqual(before);
  });

  it("refuses to replace a different config without --force (exit 4, nothing changed, the token not spent)", async () => {
    const before = fileIds();
    const other = join(tmp.path, "token-other");
    writeFileSync(other, (await createToken(controller)).token, { mode: 0o600 });
    const r = await install([], `${prefix}-b`, other);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${configPath} already exists and differs`);
    expect(r.stderr).toContain("--force");
    expect(fileIds()).toEqual(before);
    expect((await secureHosts(controller)).map((h) => h.name)).not.toContain(`${prefix}-b`);
  });

  it("an agent started from the written config connects with the enrolled certificate", async () => {
    // --config supplies the controller and the name; the state folder the config names is the
    // installed host's (/var/lib/…), so the flag points it into --root (flags override the file).
    const config = parse(readFileSync(configPath, "utf8")) as Record<string, string>;
    const agent: Proc = spawnCli([
      "agent",
      "--config",
      configPath,
      "--state-dir",
      join(root, config["state-dir"]!),
      "--max-backoff",
      "1s",
    ]);
    const h = await waitForSecureHost(controller, host, true);
    expect(h.connected).toBe(true);
    await waitFor("the agent's log to say it connected", () =>
      agent.stderr.includes("connected to controller") ? true : undefined,
    );
    expect(agent.stderr).not.toMatch(/"msg":"enrolled/);
    await agent.stop();
  });

  it("--force replaces the config and enrols under the new name", async () => {
    const other = join(tmp.path, "token-force");
    writeFileSync(other, (await createToken(controller)).token, { mode: 0o600 });
    const r = await install(["--force"], `${prefix}-c`, other);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("enrolled:");
    expect(r.stdout).toContain(`written: ${configPath}`);
    expect(r.stdout).toContain(`unchanged: ${unitPath}`);
    expect((parse(readFileSync(configPath, "utf8")) as { name: string }).name).toBe(`${prefix}-c`);
    expect(loadCredentials(stateDir)?.host).toBe(`${prefix}-c`);
  });

  it.skipIf(existsSync("/run/systemd/system"))(
    "without --no-start on a host without systemd: a clear error before anything changes (exit 1)",
    async () => {
      const r = await runCli([
        "agent",
        "install",
        "--controller",
        controller.address,
        "--token-file",
        tokenFile,
        "--name",
        `${prefix}-d`,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot start the agent: (this host is not running systemd|systemctl is not installed)/);
      expect(r.stderr).toContain("Nothing was changed");
      expect(r.stderr).toContain("--no-start");
    },
  );

  it("--root without --no-start is refused (systemctl would act on this host)", async () => {
    const r = await runCli([
      "agent",
      "install",
      "--controller",
      controller.address,
      "--token-file",
      tokenFile,
      "--root",
      root,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--root: ");
    expect(r.stderr).toContain("add --no-start");
  });
});
