import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli, stopAll, tempDir, type Proc } from "../harness/processes.js";
import {
  createToken,
  startSecureAgent,
  startSecureController,
  waitForSecureHost,
  type SecureController,
} from "../harness/secure-fleet.js";
import { testPrefix } from "../harness/virsh.js";

// Issue 21 items 16 and 17: the enrolment token reaches the agent from a file or the
// environment, never on its command line; a plaintext agent against an mTLS controller says
// which flag is wrong instead of retrying forever.

const tmp = tempDir("vft-secrets-");
const prefix = testPrefix();
let controller: SecureController;

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"));
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

/** The process's command line as every local user sees it (`ps`, /proc/PID/cmdline). */
function argvOf(p: Proc): string {
  return readFileSync(`/proc/${p.child.pid}/cmdline`, "utf8").split("\0").join(" ");
}

/** Waits (bounded) for `p` to exit; its exit code and stderr. */
async function exitOf(p: Proc, ms = 20_000): Promise<{ code: number | null; stderr: string }> {
  const code = await Promise.race([p.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), ms))]);
  if (code === "hung") {
    await p.stop("SIGKILL");
    throw new Error(`agent did not exit: ${p.stderr.slice(-2000)}`);
  }
  return { code, stderr: p.stderr };
}

describe("the enrolment token stays off the command line", () => {
  it("enrols with --token-file: connected, and the token is in neither its argv nor its logs", async () => {
    const { token } = await createToken(controller);
    const file = join(tmp.path, "token");
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const name = `${prefix}file`;
    const agent = startSecureAgent(controller, name, join(tmp.path, "agent-file"), undefined, ["--token-file", file]);
    const h = await waitForSecureHost(controller, name, true);
    expect(h.connected).toBe(true);
    const argv = argvOf(agent);
    expect(argv).toContain("--token-file");
    expect(argv).not.toContain(token);
    expect(argv).not.toContain(token.split(".")[2]);
    expect(agent.stderr).not.toContain(token.split(".")[2]);
    expect(controller.proc.stderr).not.toContain(token.split(".")[2]);
    await agent.stop();
  });

  it("enrols with VIRTFLEET_TOKEN from the environment, also absent from argv", async () => {
    const { token } = await createToken(controller);
    const name = `${prefix}env`;
    const withEnv = spawnCli(
      [
        "agent",
        "--controller",
        controller.address,
        "--name",
        name,
        "--state-dir",
        join(tmp.path, "agent-env"),
        "--max-backoff",
        "1s",
      ],
      { VIRTFLEET_TOKEN: token },
    );
    await waitForSecureHost(controller, name, true);
    expect(argvOf(withEnv)).not.toContain(token.split(".")[2]);
    expect(withEnv.stderr).not.toContain(token.split(".")[2]);
    await withEnv.stop();
  });

  it("a missing or empty token file exits 2 naming the file, never quoting a file's content", async () => {
    const missing = join(tmp.path, "no-such-token");
    const a = await exitOf(
      startSecureAgent(controller, `${prefix}m`, join(tmp.path, "agent-m"), undefined, ["--token-file", missing]),
    );
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`--token-file: cannot read ${missing} (ENOENT)`);
    const empty = join(tmp.path, "empty-token");
    writeFileSync(empty, "\n", { mode: 0o600 });
    const b = await exitOf(
      startSecureAgent(controller, `${prefix}e`, join(tmp.path, "agent-e"), undefined, ["--token-file", empty]),
    );
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`--token-file: ${empty} is empty`);
    const secretish = join(tmp.path, "two-words");
    writeFileSync(secretish, "hunter2 hunter3\n", { mode: 0o600 });
    const c = await exitOf(
      startSecureAgent(controller, `${prefix}w`, join(tmp.path, "agent-w"), undefined, ["--token-file", secretish]),
    );
    expect(c.code).toBe(2);
    expect(c.stderr).not.toContain("hunter");
  });
});

describe("an --insecure agent against an mTLS controller", () => {
  it("exits 2 saying that --insecure is wrong, instead of retrying forever", async () => {
    const p = startSecureAgent(controller, `${prefix}plain`, join(tmp.path, "agent-plain"), undefined, ["--insecure"]);
    const r = await exitOf(p);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--insecure: the controller at 127\.0\.0\.1:\d+ speaks TLS.*drop --insecure.*--token-file/,
    );
  });
});
