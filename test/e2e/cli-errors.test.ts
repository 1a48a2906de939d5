import { afterAll, describe, expect, it } from "vitest";
import { freePort, runCli, spawnCli, stopAll, tempDir } from "../harness/processes.js";
import { startController } from "../harness/fleet.js";
import { startSecureController } from "../harness/secure-fleet.js";

const data = tempDir("vft-cli-");
afterAll(async () => {
  await stopAll();
  data.cleanup();
});

describe("CLI errors and exit codes", () => {
  it("exits 2 naming the problem on bad usage", async () => {
    const badAddr = await runCli(["hosts", "--controller", "nonsense", "--insecure"]);
    expect(badAddr.code).toBe(2);
    expect(badAddr.stderr).toMatch(/"nonsense" is not HOST:PORT/);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command/);
    const noController = await runCli(["agent", "--insecure"]);
    expect(noController.code).toBe(2);
    expect(noController.stderr).toMatch(/--controller/);
  });

  it("refuses plaintext without --insecure, saying why", async () => {
    // Without --insecure the controller serves mTLS only: a plaintext CLI call fails, saying so.
    const c = await startSecureController(`${data.path}/c0`);
    const r = await runCli(["hosts", "--controller", c.address, "--insecure"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/started without --insecure it only speaks TLS: drop --insecure and pass --data/);
  });

  it("exits 1 with advice when the controller is unreachable: one line, no empty 'Resolution note:'", async () => {
    const port = await freePort();
    const r = await runCli(["hosts", "--json", "--controller", `127.0.0.1:${port}`, "--insecure"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/cannot reach the controller at 127\.0\.0\.1:\d+.*VIRTFLEET_CONTROLLER/);
    expect(r.stderr).not.toMatch(/Resolution note/);
    // said once: not repeated with grpc-js's "14 UNAVAILABLE:" prefix after it
    expect(r.stderr).not.toMatch(/UNAVAILABLE/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 2 for an unknown host (host, drift --host, drift ack), and reads the address from VIRTFLEET_CONTROLLER", async () => {
    const c = await startController({ dataDir: `${data.path}/c1` });
    const r = await runCli(["host", "no-such-host", "--insecure"], { VIRTFLEET_CONTROLLER: c.address });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host "no-such-host" is not enrolled/);
    for (const args of [
      ["drift", "--host", "no-such-host"],
      ["drift", "--host", "no-such-host", "--json"],
      ["drift", "watch", "--host", "no-such-host"],
      ["drift", "ack", "no-such-host"],
    ]) {
      const d = await runCli([...args, "--insecure"], { VIRTFLEET_CONTROLLER: c.address });
      expect(d.code, args.join(" ")).toBe(2);
      expect(d.stdout, args.join(" ")).toBe("");
      expect(d.stderr, args.join(" ")).toMatch(/host "no-such-host" is not enrolled/);
    }
    // the same rule for policies (spec/cli.md: unknown names exit 2)
    const plan = await runCli(["plan", "no-such-policy", "--insecure"], { VIRTFLEET_CONTROLLER: c.address });
    expect(plan.code).toBe(2);
    const all = await runCli(["drift", "--json", "--insecure"], { VIRTFLEET_CONTROLLER: c.address });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual([]);
    const empty = await runCli(["hosts", "--json"], { VIRTFLEET_CONTROLLER: c.address, VIRTFLEET_INSECURE: "1" });
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it("ends quietly when its reader goes away (audit --json | head): no EPIPE crash", async () => {
    const c = await startController({ dataDir: `${data.path}/c4` });
    for (const args of [
      ["audit", "--json"],
      ["hosts", "--json"],
      ["drift", "--json"],
      ["compliance", "--json"],
    ]) {
      // the reader closes the pipe before the command writes: its write fails with EPIPE
      const p = spawnCli([...args, "--controller", c.address, "--insecure"]);
      p.child.stdout!.destroy();
      const code = await p.exited;
      expect(p.stderr, args.join(" ")).not.toMatch(/EPIPE|Error:|at .*\.js:\d+/);
      expect(code, args.join(" ")).toBe(0);
    }
  });

  it("fails clearly when the port is taken", async () => {
    const c = await startController({ dataDir: `${data.path}/c2` });
    const r = await runCli(["controller", "--listen", c.address, "--data", `${data.path}/c3`, "--insecure"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+/);
  });
});
