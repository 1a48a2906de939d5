import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { startAgent, startController, waitForHost } from "../harness/fleet.js";

const dirs: { cleanup: () => void }[] = [];
afterEach(stopAll);
afterAll(() => dirs.forEach((d) => d.cleanup()));

function dir() {
  const d = tempDir("vft-e2e-");
  dirs.push(d);
  return d.path;
}

describe("controller + agent as real processes", () => {
  it("shows the host with facts, survives a controller restart on the same data and port", async () => {
    const data = dir();
    const name = `vft-host-${process.pid}`;
    const c1 = await startController({ dataDir: `${data}/controller` });
    const agent = startAgent({ controller: c1.address, name, stateDir: `${data}/agent`, maxBackoff: "1s" });

    const host = await waitForHost(c1.address, name, true);
    expect(host.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(host.compliance).toEqual({ compliant: true, policies: 0, drifted: 0 });
    // Facts in the shape spec/cli.md promises.
    expect(typeof host.facts.cpu.model).toBe("string");
    expect(host.facts.cpu.threads).toBeGreaterThan(0);
    expect(typeof host.facts.cpu.virtualization).toBe("boolean");
    expect(host.facts.memory.totalBytes).toBeGreaterThan(0);
    expect(host.facts.os.kernel).toBeTruthy();
    expect(host.facts.libvirt).toMatchObject({ reachable: true, hypervisor: "QEMU" });
    expect(host.facts.libvirt.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(host.facts.libvirt.capabilities.machineTypes.length).toBeGreaterThan(0);
    expect(host.facts.network.interfaces.some((i: { name: string }) => i.name === "lo")).toBe(true);
    expect(host.facts.filesystems.length).toBeGreaterThan(0);

    const detail = await runCli(["host", name, "--json", "--controller", c1.address, "--insecure"]);
    expect(detail.code).toBe(0);
    const parsed = JSON.parse(detail.stdout);
    expect(parsed.name).toBe(name);
    expect(parsed.factHistory.length).toBeGreaterThanOrEqual(1);

    const human = await runCli(["hosts", "--controller", c1.address, "--insecure"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${name}\\s+connected`));

    // Kill the controller hard: the agent must notice and keep retrying.
    await c1.proc.stop("SIGKILL");
    await waitFor("agent to notice the controller is gone", () =>
      agent.logs().some((l) => l.msg === "controller link down; will retry") ? true : undefined,
    );
    expect(agent.running).toBe(true);

    const c2 = await startController({ dataDir: `${data}/controller`, port: c1.port });
    const back = await waitForHost(c2.address, name, true);
    expect(back.firstSeen).toBe(host.firstSeen);
    expect(Date.parse(back.lastSeen!)).toBeGreaterThanOrEqual(Date.parse(host.lastSeen!));
    expect(agent.running).toBe(true);

    // SIGTERM closes the stream cleanly: the controller records why.
    expect(await agent.stop("SIGTERM")).toBe(0);
    const gone = await waitForHost(c2.address, name, false, 5_000);
    expect(gone.disconnectReason).toBe("agent closed the stream");
    expect(await c2.proc.stop("SIGTERM")).toBe(0);
  });

  it("an agent started before its controller keeps retrying and connects when it appears", async () => {
    const data = dir();
    const name = `vft-early-${process.pid}`;
    const { freePort } = await import("../harness/processes.js");
    const port = await freePort();
    const agent = startAgent({ controller: `127.0.0.1:${port}`, name, stateDir: `${data}/agent`, maxBackoff: "1s" });
    await waitFor(
      "at least three failed attempts",
      () => (agent.logs().filter((l) => l.msg === "controller link down; will retry").length >= 3 ? true : undefined),
      15_000,
    );
    expect(agent.running).toBe(true);
    const c = await startController({ dataDir: `${data}/controller`, port });
    const host = await waitForHost(c.address, name, true);
    expect(host.facts.cpu).toBeDefined();
  });

  it("declares a silent host disconnected by heartbeat timeout, and it comes back", async () => {
    const data = dir();
    const name = `vft-silent-${process.pid}`;
    const c = await startController({
      dataDir: `${data}/controller`,
      heartbeatInterval: "300ms",
      heartbeatTimeout: "1200ms",
    });
    const agent = startAgent({ controller: c.address, name, stateDir: `${data}/agent`, maxBackoff: "1s" });
    await waitForHost(c.address, name, true);
    // Freeze the agent: its TCP connection stays open, but no heartbeat arrives.
    agent.child.kill("SIGSTOP");
    try {
      const silent = await waitForHost(c.address, name, false, 10_000);
      expect(silent.disconnectReason).toMatch(/^heartbeat timeout/);
    } finally {
      agent.child.kill("SIGCONT");
    }
    await waitForHost(c.address, name, true, 15_000);
  });
});
