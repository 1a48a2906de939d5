import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, waitFor } from "../harness/processes.js";
import { RolloutFleet, policyDoc, rolloutBlock } from "../harness/rollout.js";
import { virsh } from "../harness/virsh.js";

// Issue 21 item 1, the fleet side: a revision that moves a pool holding a volume is refused by
// the agent (blocked, nothing touched); the rollout counts the host as failed (it does not
// succeed), compliance shows the policy failed, and the volume keeps what was written into it.
// A real controller and a real agent on this machine's libvirtd.
const fleet = new RolloutFleet();
const POLICY = "storage";
const FILE = "storage.yaml";
const VOL = "data.raw";
const MARKER = "virtfleet-rollout-marker";
const h1 = () => fleet.host(1);
const dirOf = (suffix: string) => join(fleet.dir.path, "pools", `\${host.name}-${suffix}`);

function storageDoc(suffix: string): Record<string, unknown> {
  return policyDoc(POLICY, {
    rollout: rolloutBlock({ canary: 1, batchSize: 1, soak: "1s", maxFailures: 0, onFailure: "pause" }),
    resources: {
      pools: [{ name: "${host.name}-img", type: "dir", path: dirOf(suffix) }],
      volumes: [{ name: VOL, pool: "${host.name}-img", format: "raw", capacity: "8MiB" }],
    },
  });
}

beforeAll(async () => {
  mkdirSync(join(fleet.dir.path, "pools"), { recursive: true });
  await fleet.start({ hosts: 1 });
}, 90_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe("a rollout of a change that would strand data", { timeout: 120_000 }, () => {
  const pathA = () => join(fleet.dir.path, "pools", `${h1()}-a`);

  it("the first revision creates the pool and its volume", async () => {
    fleet.write(FILE, storageDoc("a"));
    const v1 = await fleet.waitNewRevision(POLICY, undefined);
    expect((await fleet.waitFinished(POLICY, v1)).state).toBe("succeeded");
    await waitFor(
      "the volume exists",
      async () => ((await virsh("vol-list", `${h1()}-img`)).includes(VOL) ? true : undefined),
      20_000,
      250,
    );
    const fd = openSync(join(pathA(), VOL), "r+");
    writeSync(fd, MARKER, 0);
    closeSync(fd);
  });

  it("moving the pool fails the host: blocked, not compliant, nothing touched", async () => {
    const before = await fleet.policyRevision(POLICY);
    fleet.write(FILE, storageDoc("b"));
    const v2 = await fleet.waitNewRevision(POLICY, before);
    const s = await fleet.waitStatus(
      POLICY,
      "the host failed",
      (x) => x.revision === v2 && x.failedHosts.includes(h1()),
      60_000,
    );
    expect(s.state).not.toBe("succeeded");
    const host = s.hosts.find((x) => x.name === h1())!;
    expect(host.phase).toBe("failed");
    expect(host.reason).toMatch(new RegExp(`pool/${h1()}-img: .*path .* would strand its 1 volume \\(${VOL}\\)`));

    const paused = await fleet.waitStatus(POLICY, "paused", (x) => x.revision === v2 && x.state === "paused");
    expect(paused.failedHosts).toEqual([h1()]);
    const policy = await waitFor(
      "compliance shows the policy failed",
      async () => {
        const p = await fleet.hostPolicy(h1(), POLICY);
        return p?.status === "failed" ? p : undefined;
      },
      20_000,
      250,
    );
    expect(policy.resources.failed).toBe(1);
    expect((await fleet.compliance()).hosts.find((x) => x.name === h1())!.compliant).toBe(false);

    // the fleet dry-run of the revision names the refusal
    const plan = await runCli([
      "plan",
      POLICY,
      "--json",
      "--timeout",
      "10s",
      "--controller",
      fleet.controller.address,
      "--insecure",
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout).hosts.find((x: { name: string }) => x.name === h1());
    expect(planned.resources).toContainEqual(
      expect.objectContaining({ kind: "pool", name: `${h1()}-img`, action: "blocked", disruption: "recreate" }),
    );
    expect(planned.failed).toBe(1);

    // libvirt: the pool is still defined at its old path, the volume holds the marker
    expect(await virsh("pool-dumpxml", "--inactive", `${h1()}-img`)).toContain(`<path>${pathA()}</path>`);
    expect(readFileSync(join(pathA(), VOL)).subarray(0, MARKER.length).toString()).toBe(MARKER);
  });
});
