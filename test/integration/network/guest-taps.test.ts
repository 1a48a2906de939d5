/**
 * Issue 21 item 4: a network repair reconnects its guests. After `virsh net-destroy` the
 * running guest's tap loses its bridge; starting the network again creates an empty bridge.
 * The network's check reports the detached tap as drift (`attachedInterfaces`) and its
 * repair re-attaches it — verified with `ip link show master BRIDGE`, as an operator would.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Enforcer, type DriftRecord } from "../../../agent/enforce/index.js";
import { AgentStore } from "../../../agent/state/index.js";
import { type ResolvedPolicy, silentLogger } from "../../../common/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { NetworkResource, type NetworkSpec } from "../../../kinds/index.js";
import { cleanupPrefix, HOST_DOMAIN_TYPE, testPrefix, virsh } from "../../harness/virsh.js";

const run = promisify(execFile);
const prefix = testPrefix();
const net = `${prefix}net`;
const guest = `${prefix}g`;
const bridge = `vft${prefix.slice(4, 10)}b`;
let hv: Hypervisor;

const spec: NetworkSpec = {
  name: net,
  mode: "isolated",
  bridge,
  ipv4: null,
  mtu: null,
  autostart: false,
  state: "active",
};
const resource = () => new NetworkResource(spec, "p", [], { hv, log: silentLogger(), shutdownTimeoutMs: 5_000 });
const signal = () => new AbortController().signal;

async function onBridge(): Promise<string[]> {
  const { stdout } = await run("ip", ["-o", "link", "show", "master", bridge]);
  return [...stdout.matchAll(/^\d+: ([^:@]+)[:@]/gm)].map((m) => m[1]!);
}

async function guestTap(): Promise<string> {
  const m = /<target dev='([^']+)'/.exec(await virsh("dumpxml", guest));
  if (!m) throw new Error("running guest has no tap");
  return m[1]!;
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  expect((await resource().checkApply(signal(), true)).changes.map((c) => c.field)).toEqual(["state"]);
  const xml = `<domain type='${HOST_DOMAIN_TYPE}'><name>${guest}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices><console type='pty'/><interface type='network'><source network='${net}'/></interface></devices></domain>`;
  await run("sh", ["-c", `printf '%s' "$1" | virsh -q -c qemu:///system create /dev/stdin`, "sh", xml]);
}, 60_000);

afterAll(async () => {
  await hv?.close();
  await cleanupPrefix(prefix);
});

describe("network repair and the running guests' taps (real libvirtd)", () => {
  test("a compliant network with its guest attached reports nothing", async () => {
    const tap = await guestTap();
    expect(await onBridge()).toEqual([tap]);
    expect((await resource().checkApply(signal(), false)).changes).toEqual([]);
  });

  test("after net-destroy the check reports the detached tap and the repair re-attaches it", async () => {
    const tap = await guestTap();
    await virsh("net-destroy", net);
    const dry = await resource().checkApply(signal(), false);
    expect(dry.changes.map((c) => c.field)).toEqual(["state", "attachedInterfaces"]);
    expect(dry.changes[1]!.from).toBe(`detached: ${tap} (${guest})`);

    const r = await resource().checkApply(signal(), true);
    expect(r.changes.map((c) => c.field)).toEqual(["state", "attachedInterfaces"]);
    expect(await onBridge()).toEqual([tap]);
    expect((await run("ip", ["-o", "link", "show", "dev", tap])).stdout).toMatch(/[<,]UP[,>]/);
    expect((await resource().checkApply(signal(), false)).changes).toEqual([]);
  });

  test("a network restarted behind virtfleet's back (net-destroy + net-start) reports its detached tap as drift", async () => {
    const tap = await guestTap();
    await virsh("net-destroy", net);
    await virsh("net-start", net);
    expect(await onBridge()).toEqual([]);
    const dry = await resource().checkApply(signal(), false);
    expect(dry.changes).toEqual([
      {
        field: "attachedInterfaces",
        from: `detached: ${tap} (${guest})`,
        to: `attached to ${bridge}`,
        disruption: "live",
      },
    ]);
    await resource().checkApply(signal(), true);
    expect(await onBridge()).toEqual([tap]);
  });
});

describe("the agent's enforcer repairs a net-destroy and reconnects the running guest (real libvirtd)", () => {
  test("virsh net-destroy: drift with the detached tap is recorded, the network restarted and the tap re-attached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vft-taps-"));
    const store = AgentStore.open(dir);
    const policy: ResolvedPolicy = {
      name: "taps",
      description: null,
      mode: "enforce",
      priority: 0,
      source: { file: "test", line: 1, col: 1 },
      resources: { host: null, networks: [spec], pools: [], volumes: [], domains: [] },
    };
    const enforcer = new Enforcer({
      hypervisor: () => Promise.resolve(hv),
      store,
      log: silentLogger(),
      resyncIntervalMs: 0,
      autostartDirs: [],
    });
    try {
      expect(
        enforcer.setBundle({
          revision: "r1",
          generation: 1,
          policies: [{ name: "taps", revision: "p1", mode: "enforce", resolvedJson: JSON.stringify(policy) }],
        }),
      ).toMatchObject({ accepted: true });
      enforcer.start();
      await enforcer.idle();
      const tap = await guestTap();
      expect(await onBridge()).toEqual([tap]);
      const mark = store.outbox.stats().lastEventSeq;

      await virsh("net-destroy", net);
      const drift = () =>
        store.outbox
          .pending(mark, 1_000)
          .filter((e) => e.type === "drift")
          .map((e) => JSON.parse(e.payloadJson) as DriftRecord);
      const end = Date.now() + 20_000;
      while (!drift().some((d) => d.resolvedAtMs > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const resolved = drift().find((d) => d.resolvedAtMs > 0);
      expect(resolved).toMatchObject({ kind: "network", name: net, remediation: "repaired" });
      expect(resolved!.fields.map((f) => f.field)).toEqual(["state", "attachedInterfaces"]);
      expect(await onBridge()).toEqual([tap]);
    } finally {
      await enforcer.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
