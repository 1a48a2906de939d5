import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { hostsJson, startAgent, waitForHost } from "../harness/fleet.js";
import { runCli, waitFor } from "../harness/processes.js";
import { RolloutFleet, definedMemoryMiB, markerDomain, policyDoc, rolloutBlock } from "../harness/rollout.js";

// Host lifecycle (issue 21 item 12) with a real controller and three real agents on this
// machine's libvirtd: canaries are chosen among connected hosts, and `virtfleet host remove`
// takes a retired host out of targets, compliance and a rollout that was waiting for it.
const fleet = new RolloutFleet();
const h = (i: number) => fleet.host(i);
const cli = (...args: string[]) => runCli([...args, "--controller", fleet.controller.address, "--insecure"]);

beforeAll(async () => {
  await fleet.start({
    hosts: 3,
    agentArgs: ["--resync-interval", "1m"],
    controllerArgs: ["--heartbeat-interval", "1s", "--heartbeat-timeout", "5s"],
  });
}, 60_000);

afterAll(async () => {
  await fleet.stop();
});

describe("host lifecycle", () => {
  it("refuses an unknown host (exit 2) and a connected one without --force (exit 4)", async () => {
    const unknown = await cli("host", "remove", `${fleet.prefix}nosuch`);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain(`unknown host "${fleet.prefix}nosuch"`);
    const connected = await cli("host", "remove", h(3));
    expect(connected.code, connected.stderr).toBe(4);
    expect(connected.stderr).toContain("--force");
    expect((await hostsJson(fleet.controller.address)).map((x) => x.name)).toContain(h(3));
    // `host NAME` still shows a host
    expect((await cli("host", h(3), "--json")).code).toBe(0);
  });

  it("picks the canary among connected hosts, and a removed host no longer holds up the rollout", async () => {
    // h1 (first by name) is retired: its agent is gone
    await fleet.agents.get(h(1))!.stop("SIGTERM");
    await waitForHost(fleet.controller.address, h(1), false);
    fleet.write(
      "web.yaml",
      policyDoc("web", {
        rollout: rolloutBlock({ canary: 1, batchSize: 2, soak: "1s", onFailure: "pause" }),
        resources: { domains: [markerDomain("cfg", 64)] },
      }),
    );
    const v1 = await fleet.waitNewRevision("web", undefined);
    // before: the canary was h1 (first by name), offline, and the rollout stalled for its offline timeout
    const waiting = await fleet.waitStatus(
      "web",
      "the batch waiting for the offline host",
      (s) => s.revision === v1 && s.stages[2]?.state === "waiting",
    );
    expect(waiting.stages[1]).toMatchObject({ kind: "canary", hosts: [h(2)], state: "succeeded" });
    expect(waiting.stages[2]!.hosts).toEqual([h(1), h(3)]);

    const r = await cli("host", "remove", h(1), "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      host: h(1),
      removed: true,
      disconnected: false,
      rollouts: [waiting.id],
    });
    const done = await fleet.waitFinished("web", v1);
    expect(done.state).toBe("succeeded");
    expect(done.hosts.map((x) => x.name)).toEqual([h(2), h(3)]);
    expect(done.stages[2]!.hosts).toEqual([h(3)]);
    expect(await definedMemoryMiB(`${h(3)}-cfg`)).toBe(64);

    expect((await hostsJson(fleet.controller.address)).map((x) => x.name)).not.toContain(h(1));
    const compliance = await fleet.compliance();
    expect(compliance.hosts.map((x) => x.name)).not.toContain(h(1));
    expect(compliance.fleet.hosts).toBe(2);
    const policies = JSON.parse((await cli("policies", "--json")).stdout) as { policies: { hosts: string[] }[] };
    expect(policies.policies[0]!.hosts).toEqual([h(2), h(3)]);
    expect((await cli("host", h(1))).code).not.toBe(0); // unknown now (exit 2 once H4b unifies unknown names)
  });

  it("a host whose libvirt is unreachable is shown libvirt-unreachable, not compliant or 0 drifted", async () => {
    const name = `${fleet.prefix}nolv`;
    startAgent({
      controller: fleet.controller.address,
      name,
      stateDir: join(fleet.dir.path, "agents", name),
      libvirtSocket: join(fleet.dir.path, "no-libvirtd.sock"),
      maxBackoff: "1s",
    });
    await waitFor(
      "the host shown libvirt-unreachable",
      async () =>
        (await hostsJson(fleet.controller.address)).find((x) => x.name === name && x.state === "libvirt-unreachable"),
      20_000,
      250,
    );
    expect((await hostsJson(fleet.controller.address)).find((x) => x.name === h(2))?.state).toBe("connected");
    const line = (await cli("hosts")).stdout.split("\n").find((l) => l.startsWith(name)) ?? "";
    expect(line).toMatch(/^\S+\s+libvirt-unreachable\s/);
    expect(line).toContain("unknown (libvirt unreachable)");
  });

  it("--force removes a connected host: its stream is closed", async () => {
    const r = await cli("host", "remove", h(3), "--force", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: h(3), removed: true, disconnected: true });
  });
});
