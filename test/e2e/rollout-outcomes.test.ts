import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftJson } from "../../common/index.js";
import { runCli, waitFor } from "../harness/processes.js";
import {
  RolloutFleet,
  definedMemoryMiB,
  domainState,
  markerDomain,
  policyDoc,
  rolloutBlock,
  runningDomain,
} from "../harness/rollout.js";
import { virsh } from "../harness/virsh.js";

// A rollout succeeds only when every targeted resource converged (issue 21 item 11), with a
// real controller, a real agent and this machine's libvirtd. The agent's flap guard holds a
// resource after one repair (--flap-threshold 1); drift is made with `virsh autostart`, which
// the agent notices through libvirt's autostart folder.
const fleet = new RolloutFleet();
const host = () => fleet.host(1);
const SETTINGS = rolloutBlock({ canary: 1, batchSize: 1, soak: "1s", maxFailures: 0, onFailure: "pause" });

async function drift(): Promise<DriftJson[]> {
  const r = await runCli(["drift", "--json", "--host", host(), "--controller", fleet.controller.address, "--insecure"]);
  if (r.code !== 0) throw new Error(`drift exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DriftJson[];
}

async function autostartOn(domain: string): Promise<boolean> {
  return /Autostart:\s+enable/.test(await virsh("dominfo", domain));
}

/** Makes the agent's flap guard hold `domain`: one repaired autostart drift, then one it leaves alone. */
async function holdByFlapGuard(domain: string): Promise<void> {
  const since = Date.now();
  await virsh("autostart", domain);
  await waitFor("the autostart drift repaired", async () => ((await autostartOn(domain)) ? undefined : true), 15_000);
  await virsh("autostart", domain);
  await waitFor(
    "a suppressed drift event",
    async () =>
      (await drift()).find(
        (d) => d.name === domain && d.remediation === "suppressed" && Date.parse(d.detectedAt) >= since - 1_000,
      ),
    15_000,
    250,
  );
  expect(await autostartOn(domain)).toBe(true);
}

beforeAll(async () => {
  await fleet.start({
    hosts: 1,
    agentArgs: ["--flap-threshold", "1", "--flap-window", "10m", "--resync-interval", "1m"],
  });
}, 60_000);

afterAll(async () => {
  await fleet.stop();
});

describe("a rollout succeeds only when every targeted resource converged", () => {
  const flapDoc = (memoryMiB: number, extra: Record<string, unknown>[] = []) =>
    policyDoc("flap", { rollout: SETTINGS, resources: { domains: [markerDomain("cfg", memoryMiB), ...extra] } });
  const cfg = () => `${host()}-cfg`;

  it("a new revision lifts the flap guard for the resources it changes: applied, and the rollout succeeds", async () => {
    fleet.write("flap.yaml", flapDoc(64));
    const v1 = await fleet.waitNewRevision("flap", undefined);
    expect((await fleet.waitFinished("flap", v1)).state).toBe("succeeded");
    await holdByFlapGuard(cfg());

    fleet.write("flap.yaml", flapDoc(96));
    const v2 = await fleet.waitNewRevision("flap", v1);
    const s = await fleet.waitFinished("flap", v2);
    expect(s.state, JSON.stringify(s)).toBe("succeeded");
    // before: the held guest was only checked, libvirt kept 64 MiB and the rollout said SUCCEEDED
    expect(await definedMemoryMiB(cfg())).toBe(96);
    expect(await autostartOn(cfg())).toBe(false);
  });

  it("a resource the flap guard still holds (the revision leaves it as it was) fails the stage", async () => {
    await holdByFlapGuard(cfg());
    const v2 = await fleet.policyRevision("flap");
    fleet.write("flap.yaml", flapDoc(96, [markerDomain("other", 64)]));
    const v3 = await fleet.waitNewRevision("flap", v2);
    const s = await fleet.waitStatus("flap", "paused by the failure", (x) => x.revision === v3 && x.state === "paused");
    expect(s.failedHosts).toEqual([host()]);
    const reason = s.hosts.find((h) => h.name === host())?.reason ?? "";
    expect(reason).toContain(`domain/${cfg()}: suppressed`);
    expect(await definedMemoryMiB(`${host()}-other`)).toBe(64);
    expect((await fleet.hostPolicy(host(), "flap"))?.status).toBe("drifted");
  });

  it("a running guest waiting for a restart fails the stage and is shown pending-restart in compliance", async () => {
    const web = `${host()}-web`;
    const doc = (vcpus: number) =>
      policyDoc("restart", { rollout: SETTINGS, resources: { domains: [{ ...runningDomain("web"), vcpus }] } });
    fleet.write("restart.yaml", doc(1));
    const v1 = await fleet.waitNewRevision("restart", undefined);
    expect((await fleet.waitFinished("restart", v1)).state).toBe("succeeded");
    expect(await domainState(web)).toBe("running");

    fleet.write("restart.yaml", doc(2)); // restartOnChange is false: the running guest keeps 1 vCPU
    const v2 = await fleet.waitNewRevision("restart", v1);
    const s = await fleet.waitStatus(
      "restart",
      "paused by the failure",
      (x) => x.revision === v2 && x.state === "paused",
    );
    expect(s.failedHosts).toEqual([host()]);
    expect(s.hosts.find((h) => h.name === host())?.reason).toContain(`domain/${web}: pending-restart`);
    const p = await fleet.hostPolicy(host(), "restart");
    expect(p?.status).toBe("pending-restart");
    expect(p?.resources).toMatchObject({ pendingRestart: 1, failed: 0 });
    const human = await runCli(["compliance", "--controller", fleet.controller.address, "--insecure"]);
    expect(human.stdout).toMatch(new RegExp(`${host()}\\s+restart\\s+pending-restart`));
  });
});

describe("what policies, plan and rollout status say after a rollout ended", () => {
  const cli = (...args: string[]) => runCli([...args, "--controller", fleet.controller.address, "--insecure"]);

  it("a new policy whose rollout rolled back applies to no host in `policies`", async () => {
    const big = { name: "${host.name}-big", vcpus: 1, memory: "4TiB", state: "running", autostart: false };
    fleet.write(
      "newbad.yaml",
      policyDoc("newbad", { rollout: { ...SETTINGS, onFailure: "rollback" }, resources: { domains: [big] } }),
    );
    const v1 = await fleet.waitNewRevision("newbad", undefined);
    expect((await fleet.waitFinished("newbad", v1, 90_000)).state).toBe("rolledback");
    const r = await cli("policies", "--json");
    expect(r.code).toBe(0);
    const p = (JSON.parse(r.stdout) as { policies: { name: string; hosts: string[]; rolloutState: string }[] })
      .policies;
    // before: hosts [h1], as if the rolled-back revision applied there
    expect(p.find((x) => x.name === "newbad")).toMatchObject({ hosts: [], rolloutState: "rolledback" });
    expect(p.find((x) => x.name === "flap")?.hosts).toEqual([host()]);
    const human = await cli("policies");
    expect(human.stdout).toMatch(/^newbad\s+\S+\s+\d+\s+enforce\s+\(none\)\s+rolledback\s+\S*newbad\.yaml$/m);
  });

  it("`plan` after a succeeded rollout says the revision is applied and names the rollout's own plan", async () => {
    fleet.write(
      "soak.yaml",
      policyDoc("soak", { rollout: SETTINGS, resources: { domains: [markerDomain("soak", 64)] } }),
    );
    const v1 = await fleet.waitNewRevision("soak", undefined);
    const done = await fleet.waitFinished("soak", v1);
    expect(done.state).toBe("succeeded");
    expect((done.plan as { summary: { hostsChanging: number } }).summary.hostsChanging).toBe(1);
    const r = await cli("plan", "soak", "--json");
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { summary: { hostsChanging: number }; rollout?: Record<string, unknown> };
    expect(plan.summary.hostsChanging).toBe(0);
    expect(plan.rollout).toMatchObject({ state: "succeeded", planSummary: { hostsChanging: 1, create: 1 } });
    const human = (await cli("plan", "soak")).stdout;
    // before: "revision (none) → <rev> (pending) … no host would change", contradicting the rollout's plan
    expect(human).not.toContain("(none) →");
    expect(human).toContain(`revision ${v1.slice(0, 12)} is applied (its rollout from (none) succeeded`);
    expect(human).toContain("The rollout's plan before it ran: 1 host would change: 1 create");
    expect(human).toContain("Now: no host would change");
  });

  it("`rollout abort` during a soak ends the stage: aborted, its clock stopped", async () => {
    const before = await fleet.policyRevision("soak");
    const slow = { ...SETTINGS, soak: "10m" };
    fleet.write("soak.yaml", policyDoc("soak", { rollout: slow, resources: { domains: [markerDomain("soak", 80)] } }));
    const v2 = await fleet.waitNewRevision("soak", before);
    await fleet.waitStatus("soak", "the canary soaking", (s) => s.revision === v2 && s.stages[1]?.state === "soaking");
    const aborted = await fleet.control("abort", "soak");
    expect(aborted.state).toBe("aborted");
    // before: the stage stayed "soaking" with a soak deadline and a growing TOOK
    expect(aborted.stages[1]).toMatchObject({ state: "aborted", finishedAt: aborted.finishedAt });
    expect(aborted.stages[1]!.soakUntil).toBeUndefined();
    const row = async () =>
      (await cli("rollout", "status", "soak")).stdout.split("\n").find((l) => /^1\s+canary/.test(l));
    const first = await row();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await row()).toBe(first);
    expect(first).toMatch(/^1\s+canary\s+aborted\s/);
  });
});
