import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { startAgent, startController, waitForHost } from "../harness/fleet.js";

const data = tempDir("vft-facts-");
// A bridge is a fact change an operator makes for real; the name is ours alone (≤15 chars).
const bridge = `vftf${process.pid % 100_000}`;

afterAll(async () => {
  await stopAll();
  try {
    execFileSync("ip", ["link", "del", bridge], { stdio: "ignore" });
  } catch {
    // Already gone.
  }
  data.cleanup();
});

describe("facts re-sent on change", () => {
  it("records a new network interface as a fact change without reconnecting", async () => {
    const name = `vft-facts-${process.pid}`;
    const c = await startController({ dataDir: `${data.path}/controller` });
    startAgent({ controller: c.address, name, stateDir: `${data.path}/agent`, factsInterval: "300ms" });
    const before = await waitForHost(c.address, name, true);
    expect(before.facts.network.interfaces.map((i: { name: string }) => i.name)).not.toContain(bridge);

    execFileSync("ip", ["link", "add", bridge, "type", "bridge"]);
    const detail = await waitFor("the bridge to appear in the host's facts", async () => {
      const r = await runCli(["host", name, "--json", "--controller", c.address, "--insecure"]);
      const h = JSON.parse(r.stdout);
      return h.facts.network.interfaces.some((i: { name: string }) => i.name === bridge) ? h : undefined;
    });
    const iface = detail.facts.network.interfaces.find((i: { name: string }) => i.name === bridge);
    expect(iface.kind).toBe("bridge");
    expect(detail.factHistory[0].changedSections).toContain("network");
    expect(detail.connectedSince).toBe(before.connectedSince);
    expect(c.proc.logs().filter((l) => l.msg === "facts updated").length).toBeGreaterThanOrEqual(1);
  });

  it("reports libvirt as unreachable (with the reason) and still connects", async () => {
    const name = `vft-nolibvirt-${process.pid}`;
    const c = await startController({ dataDir: `${data.path}/controller2` });
    startAgent({
      controller: c.address,
      name,
      stateDir: `${data.path}/agent2`,
      libvirtSocket: `${data.path}/no-such-sock`,
    });
    const host = await waitForHost(c.address, name, true);
    expect(host.facts.libvirt).toMatchObject({ reachable: false, version: null });
    expect(host.facts.libvirt.error).toMatch(/no-such-sock/);
  });
});
