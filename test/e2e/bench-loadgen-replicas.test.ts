import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newStats, REFUSED, SimulatedAgent } from "../../bench/loadgen/simulated-agent.js";
import { syntheticFacts } from "../../bench/loadgen/synthetic-facts.js";
import { agentTargets } from "../../bench/loadgen/targets.js";
import { controllerOrder } from "../../agent/link/index.js";
import { type StartedController, startController } from "../harness/fleet.js";
import { freePort, stopAll, tempDir, waitFor } from "../harness/processes.js";

// The load generator's simulated agents given several controller addresses (bench/replicas.ts):
// each spreads over them in the real agent's per-host order and fails over to the next on a
// refused connection or a broken stream. Real controller processes (two independent SQLite
// controllers on loopback, --insecure) and a port nobody listens on.
const tmp = tempDir("vft-loadgen-replicas-e2e-");
const prefix = `vft-lgr-${process.pid}`;
const agents: SimulatedAgent[] = [];

afterAll(async () => {
  for (const a of agents) a.stop();
  await stopAll();
  tmp.cleanup();
});

describe("agentTargets", () => {
  it("orders a host's addresses as the agent's link does, and spreads first choices evenly", () => {
    const list = "10.0.0.1:7443,10.0.0.2:7443,10.0.0.3:7443";
    const first = [0, 0, 0];
    for (let i = 0; i < 3_000; i++) {
      const host = `${prefix}-h${i}`;
      const t = agentTargets(list, host);
      expect(t.map((x) => x.index)).toEqual(controllerOrder(host, 3));
      expect(t.map((x) => x.address)).toEqual(controllerOrder(host, 3).map((k) => list.split(",")[k]));
      first[t[0]!.index]! += 1;
    }
    for (const n of first) expect(Math.abs(n - 1_000)).toBeLessThan(120);
    expect(agentTargets("127.0.0.1:1", "x")).toEqual([{ index: 0, address: "127.0.0.1:1" }]);
    expect(() => agentTargets("a:1,,b:2", "x")).toThrow(/separated by commas/);
  });
});

describe("simulated agents on several controllers", () => {
  it("spread over the live ones, move on past a refused address, and fail over when one is killed", async () => {
    const c1: StartedController = await startController({ dataDir: join(tmp.path, "c1") });
    const c2: StartedController = await startController({ dataDir: join(tmp.path, "c2") });
    const dead = `127.0.0.1:${await freePort()}`;
    const list = `${c1.address},${c2.address},${dead}`;
    const stats = newStats();
    const hosts = Array.from({ length: 24 }, (_, i) => `${prefix}-a${i}`);
    const firstChoice = hosts.map((h) => agentTargets(list, h)[0]!.index);
    // The names spread over all three (a test whose hosts all chose one address proves nothing).
    expect(new Set(firstChoice).size).toBe(3);
    for (const [i, host] of hosts.entries()) {
      const a = new SimulatedAgent({
        host,
        targets: agentTargets(list, host).map(({ index, address }) => ({
          index,
          target: { authority: `http://${address}` },
        })),
        facts: syntheticFacts(host, i),
        stats,
        welcomeTimeoutMs: 10_000,
      });
      agents.push(a);
      a.start();
    }
    await waitFor(
      "every simulated agent welcomed",
      () => (stats.connected === hosts.length ? true : undefined),
      20_000,
    );
    const onDead = firstChoice.filter((k) => k === 2).length;
    // Those whose first choice was the dead address were refused there once, then welcomed on
    // the next of their order; the others were welcomed where they first went.
    expect(stats.failuresByReason.get(`UNAVAILABLE (${REFUSED})`)).toBe(onDead);
    expect(stats.connectedByTarget[2] ?? 0).toBe(0);
    const expected = [0, 1].map(
      (k) =>
        hosts.filter((h) => {
          const order = agentTargets(list, h).map((x) => x.index);
          return order.filter((x) => x !== 2)[0] === k;
        }).length,
    );
    expect([stats.connectedByTarget[0], stats.connectedByTarget[1]]).toEqual(expected);
    expect(expected[0]).toBeGreaterThan(0);

    // kill -9 the first controller: its agents move on to the second (directly, or past the
    // dead address), none stays away.
    await c1.proc.stop("SIGKILL");
    await waitFor(
      "the first controller's agents on the second",
      () => (stats.connected === hosts.length && stats.connectedByTarget[1] === hosts.length ? true : undefined),
      30_000,
    );
    expect(stats.connectedByTarget[0]).toBe(0);
  }, 60_000);
});
