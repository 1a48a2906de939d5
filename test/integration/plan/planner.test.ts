import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Planner, type PlanRecord } from "../../../agent/plan/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { createLogger, type NetworkSpec } from "../../../common/index.js";
import { validatePlanResult } from "../../../controller/agent-messages/index.js";
import { aggregatePlan } from "../../../controller/plan/index.js";
import { resolvedPolicy, tinyDomainSpec } from "../../harness/specs.js";
import { freeSubnet24 } from "../../harness/subnet.js";
import { cleanupPrefix, testPrefix, tinyDomainXml, virsh, virshResult } from "../../harness/virsh.js";

// The agent's planner (Command.plan) against the real libvirtd: it reports what converging a
// bundle would do, changes nothing, and its answer aggregates into the fleet plan.
const prefix = testPrefix();
const guest = `${prefix}g1`;
const net = `${prefix}net`;
const bridge = `vfpl${prefix.slice(4, 10)}`;
const log = createLogger("plan-test", process.env.VFT_LOG_LEVEL ?? "silent");
let hv: Hypervisor;
let planner: Planner;
let subnet = 0;

function network(): NetworkSpec {
  return {
    name: net,
    mode: "isolated",
    bridge,
    ipv4: { address: `192.168.${subnet}.1`, prefix: 24, dhcp: null },
    mtu: null,
    autostart: false,
    state: "active",
  };
}

/** A host's bundle: the planned policy "guests" (the domain) and another, "base" (the network). */
function bundle(revision: string, adopt = false) {
  const base = resolvedPolicy("base", { networks: [network()] });
  const guests = resolvedPolicy("guests", {
    domains: [tinyDomainSpec(guest, { vcpus: 1, memoryBytes: 64 * 1024 * 1024, ...(adopt ? { adopt } : {}) })],
  });
  return {
    revision,
    generation: 1,
    policies: [
      { name: "base", revision: "p-base", mode: "enforce", resolvedJson: JSON.stringify(base) },
      { name: "guests", revision: "p-guests", mode: "enforce", resolvedJson: JSON.stringify(guests) },
    ],
  };
}

/** The record as the controller sees it: validated, then aggregated for `policy`. */
function fleetPlan(record: PlanRecord, policy: string) {
  // as a protocol-0 stream carries it (changes as JSON text, the typed field empty)
  const valid = validatePlanResult({ ...record, resources: record.resources.map((o) => ({ ...o, changes: [] })) });
  return aggregatePlan({
    policy,
    revision: "b2",
    previousRevision: null,
    targets: ["this-host"],
    answers: new Map([["this-host", { status: "planned", resources: valid.resources, durationMs: valid.durationMs }]]),
    now: Date.now(),
  });
}

const exists = async (what: "dominfo" | "net-info", name: string) => (await virshResult(what, name)).code === 0;

beforeAll(async () => {
  subnet = await freeSubnet24();
  hv = await Hypervisor.open();
  planner = new Planner({ hypervisor: async () => hv, log });
});

afterAll(async () => {
  await planner?.stop();
  await hv?.close();
  await cleanupPrefix(prefix);
});

describe("agent planner on a real KVM host", () => {
  it("reports create for absent resources and creates nothing", async () => {
    const r = await planner.plan("cmd-1", bundle("b1"));
    expect(r.error).toBe("");
    expect(r).toMatchObject({ commandId: "cmd-1", bundleRevision: "b1" });
    expect(r.resources.map((o) => [o.kind, o.name, o.policy, o.outcome])).toEqual([
      ["network", net, "base", "drift"],
      ["domain", guest, "guests", "drift"],
    ]);
    expect(await exists("dominfo", guest)).toBe(false);
    expect(await exists("net-info", net)).toBe(false);

    const guests = fleetPlan(r, "guests");
    expect(guests.hosts[0]!.resources).toMatchObject([
      { kind: "domain", name: guest, action: "create", disruption: "live" },
    ]);
    expect(guests.summary).toMatchObject({ hostsPlanned: 1, hostsChanging: 1, create: 1, change: 0, guestsRestart: 0 });
    expect(fleetPlan(r, "base").hosts[0]!.resources).toMatchObject([{ kind: "network", name: net, action: "create" }]);
  });

  it("reports change for a guest defined by hand that the policy adopts, with other vcpus/memory: live when shut off, restart when running; changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vft-plan-"));
    try {
      const xml = join(dir, "guest.xml");
      writeFileSync(xml, tinyDomainXml(guest)); // 128 MiB max / 64 MiB current, 1 of max 2 vCPUs
      await virsh("define", xml);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const before = await virsh("dumpxml", "--inactive", guest);

    // not virtfleet's and not adopted: a conflict, left alone
    const unowned = await planner.plan("cmd-2a", bundle("b2"));
    expect(unowned.resources.find((o) => o.kind === "domain")).toMatchObject({ outcome: "conflict" });

    const off = await planner.plan("cmd-2", bundle("b2", true));
    expect(off.error).toBe("");
    const offPlan = fleetPlan(off, "guests").hosts[0]!;
    expect(offPlan.resources).toHaveLength(1);
    const offGuest = offPlan.resources[0]!;
    expect(offGuest).toMatchObject({ kind: "domain", name: guest, action: "change", disruption: "live" });
    expect(offGuest.changes.map((c) => c.field)).toEqual(expect.arrayContaining(["vcpus", "memory", "state"]));
    expect(offPlan).toMatchObject({ change: 1, create: 0, restart: 0 });

    await virsh("start", guest);
    const on = await planner.plan("cmd-3", bundle("b2", true));
    expect(on.error).toBe("");
    const onGuest = fleetPlan(on, "guests").hosts[0]!.resources[0]!;
    expect(onGuest).toMatchObject({ action: "change", disruption: "restart" });
    expect(onGuest.changes.find((c) => c.field === "vcpus")).toMatchObject({
      from: { current: 1, max: 2 },
      to: 1,
      disruption: "restart",
    });
    expect(onGuest.changes.find((c) => c.field === "memory")).toMatchObject({
      to: 64 * 1024 * 1024,
      disruption: "restart",
    });
    expect(fleetPlan(on, "guests").summary).toMatchObject({ change: 1, guestsRestart: 1 });

    // nothing was changed: same definition, still running, no network
    expect(await virsh("dumpxml", "--inactive", guest)).toBe(before);
    expect((await virsh("domstate", guest)).trim()).toBe("running");
    expect(await exists("net-info", net)).toBe(false);
  });

  it("answers an invalid bundle with an error and no resources", async () => {
    const r = await planner.plan("cmd-4", {
      ...bundle("b3"),
      policies: [{ name: "x", revision: "", mode: "sometimes", resolvedJson: "{}" }],
    });
    expect(r).toMatchObject({
      commandId: "cmd-4",
      bundleRevision: "b3",
      resources: [],
      error: expect.stringMatching(/^invalid bundle: .*mode/),
    });
  });
});
