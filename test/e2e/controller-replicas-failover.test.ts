import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort, runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { hostsJson, startAgent, startController, type StartedController } from "../harness/fleet.js";

/**
 * Several controllers in --controller a,b,c (issue 25, item 5), as real processes on loopback:
 * three `virtfleet controller --insecure` (each its own data folder and SQLite store: the test
 * is about the agent's and the CLI's failover, not a shared store), one real agent given all
 * three, the CLI given dead and live addresses.
 */
const dirs: { cleanup: () => void }[] = [];
afterEach(stopAll);
afterAll(() => dirs.forEach((d) => d.cleanup()));

/** The agent's "connected to controller" records, in order: where it connected, and when. */
function connections(agent: Proc): { controller: string; time: number }[] {
  return agent
    .logs()
    .filter((l) => l.msg === "connected to controller")
    .map((l) => ({ controller: String(l.controller), time: Number(l.time) }));
}

describe("an agent and the CLI given several controllers", () => {
  it("fails over within 5 s when its controller is killed; the CLI answers from a live one; all dead names all", async () => {
    const d = tempDir("vft-e2e-replicas-");
    dirs.push(d);
    const name = `vft-replica-${process.pid}`;
    const controllers: StartedController[] = [];
    for (const k of ["a", "b", "c"]) controllers.push(await startController({ dataDir: `${d.path}/${k}` }));
    const all = controllers.map((c) => c.address);
    const agent = startAgent({ controller: all.join(","), name, stateDir: `${d.path}/agent`, maxBackoff: "1s" });

    // It connects to one of them; that controller (and only it: each has its own store) shows it.
    const first = await waitFor("the agent's first connection", () => connections(agent)[0], 20_000);
    expect(all).toContain(first.controller);
    const on = controllers.find((c) => c.address === first.controller)!;
    await waitFor(`host ${name} connected on ${on.address}`, async () =>
      (await hostsJson(on.address)).find((h) => h.name === name && h.connected),
    );
    const started = agent.logs().find((l) => l.msg === "agent started");
    expect(String(started?.controllers).split(",").sort()).toEqual([...all].sort());

    // drift watch on the agent's controller first, then another live one
    const other = controllers.find((c) => c !== on)!;
    const watch = spawnCli(["drift", "watch", "--controller", `${on.address},${other.address}`, "--insecure"]);
    await waitFor("drift watch to open", () =>
      watch.stderr.includes(`watching drift events at ${on.address}`) ? true : undefined,
    );

    // kill -9 the agent's controller: the agent is on another within 5 s
    const killedAt = Date.now();
    await on.proc.stop("SIGKILL");
    const next = await waitFor("the agent to connect to another controller", () => connections(agent)[1], 10_000);
    const failoverMs = next.time - killedAt;
    expect(next.controller).not.toBe(on.address);
    expect(all).toContain(next.controller);
    expect(failoverMs).toBeLessThan(5_000);
    process.stderr.write(
      `agent failover: ${on.address} killed → connected to ${next.controller} in ${failoverMs} ms\n`,
    );
    const down = agent.logs().find((l) => l.msg === "controller link down; will retry");
    expect(down).toMatchObject({ controller: on.address, next: next.controller });
    await waitFor(`host ${name} connected on ${next.controller}`, async () =>
      (await hostsJson(next.controller)).find((h) => h.name === name && h.connected),
    );

    // the watch reconnected to the next controller of its list
    await waitFor("drift watch on the other controller", () =>
      watch.stderr.includes(`watching drift events at ${other.address}`) ? true : undefined,
    );
    expect(watch.stderr).toContain(`reconnecting to ${other.address}`);
    await watch.stop("SIGINT");

    // the CLI: the dead address first, then the live one: the answer comes from the live one
    const r = await runCli(["hosts", "--json", "--insecure", "--controller", `${on.address},${next.controller}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { name: string; connected: boolean }[]).find((h) => h.name === name)).toMatchObject(
      { connected: true },
    );
    // …also from VIRTFLEET_CONTROLLER, same syntax
    const env = await runCli(["hosts", "--json", "--insecure"], {
      VIRTFLEET_CONTROLLER: `${on.address},${next.controller}`,
    });
    expect(env.code).toBe(0);
    // a refusal is final: an unknown host on the live controller is not tried elsewhere
    const unknown = await runCli([
      "host",
      "no-such-host",
      "--insecure",
      "--controller",
      `${next.controller},${on.address}`,
    ]);
    expect(unknown.code).toBe(2);

    // every controller dead: exit 1, the message names every address tried
    for (const c of controllers) await c.proc.stop("SIGKILL");
    const spare = `127.0.0.1:${await freePort()}`;
    const dead = await runCli(["hosts", "--insecure", "--controller", [...all, spare].join(",")]);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain("cannot reach any of the 4 controllers");
    for (const address of [...all, spare]) expect(dead.stderr).toContain(`${address}:`);
    expect(agent.running).toBe(true); // it keeps retrying, enforcing meanwhile
    expect(await agent.stop("SIGTERM")).toBe(0);
  });

  it("refuses a bad --controller list naming the option, before doing anything", async () => {
    for (const [list, why] of [
      ["127.0.0.1:7443,,127.0.0.1:7444", /--controller.*entry 2 .* is empty/],
      ["127.0.0.1:7443,127.0.0.1:99999", /--controller.*port 99999 is out of range/],
      ["127.0.0.1:7443,127.0.0.1:7443", /--controller.*127\.0\.0\.1:7443 is given twice/],
    ] as const) {
      const admin = await runCli(["hosts", "--insecure", "--controller", list]);
      expect(admin.code).toBe(2);
      expect(admin.stderr).toMatch(why);
      const agent = await runCli(["agent", "--insecure", "--controller", list, "--state-dir", "/nonexistent/x"]);
      expect(agent.code).toBe(2);
      expect(agent.stderr).toMatch(why);
    }
    for (const args of [
      ["hosts", "--insecure"],
      ["agent", "--insecure", "--state-dir", "/nonexistent/x"],
    ]) {
      const env = await runCli(args, { VIRTFLEET_CONTROLLER: "127.0.0.1:1,," });
      expect(env.code).toBe(2);
      expect(env.stderr).toMatch(/VIRTFLEET_CONTROLLER: entry 2 .* is empty/);
    }
  });
});
