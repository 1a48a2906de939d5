import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBundle } from "../../../agent/enforce/bundle.js";
import { runBundle } from "../../../agent/run-bundle/index.js";
import { AGENT_MIGRATIONS, AgentStore, BundleCache } from "../../../agent/state/index.js";
import { openDatabase } from "../../../common/sqlite/open-database.js";
import {
  createLogger,
  type NetworkSpec,
  type PoolSpec,
  type ResolvedPolicy,
  type VolumeSpec,
} from "../../../common/index.js";
import { ownershipScope, type OwnershipLedger } from "../../../kinds/ownership/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { tempDir } from "../../harness/processes.js";
import { resolvedPolicy, tinyDomainSpec } from "../../harness/specs.js";
import { cleanupPrefix, HOST_DOMAIN_TYPE, testPrefix, virsh, virshResult, volumeNames } from "../../harness/virsh.js";

// Issue 21 items 2 and 3 against the real libvirtd: virtfleet never takes over an object it
// did not create (conflict, untouched) unless the policy says adopt: true; adopting keeps a
// running guest's devices; a rollback of the adopting revision restores the replaced
// definition, and a rollback of a creating revision removes what it created.
const prefix = testPrefix();
const hex = prefix.slice(4, 10);
const log = createLogger("ownership-test", process.env.VFT_LOG_LEVEL ?? "silent");
const dir = tempDir("vft-own-");
let hv: Hypervisor;
let store: AgentStore;
let generation = 0;

const guest = `${prefix}hand`;
const diskFile = join(dir.path, "hand.img");

type Report = { kind: string; name: string; outcome: string; error?: string; changes: { field: string }[] } & {
  pendingRestart?: boolean;
  notes?: string[];
};

/** Runs `policies` as an agent would (enforce unless dry), with `ledger`'s ownership records. */
async function run(
  policies: ResolvedPolicy[],
  o: {
    revisions?: Record<string, string>;
    rolledBack?: { policy: string; revision: string }[];
    dryRun?: boolean;
    ledger?: OwnershipLedger;
  } = {},
): Promise<Report[]> {
  generation += 1;
  const bundle = parseBundle({
    revision: `b${generation}`,
    generation,
    policies: policies.map((p) => ({
      name: p.name,
      revision: o.revisions?.[p.name] ?? "r1",
      mode: "enforce",
      resolvedJson: JSON.stringify(p),
    })),
    rolledBack: o.rolledBack,
  });
  const ledger = o.ledger ?? store.ownership;
  const r = await runBundle(bundle.prepared, {
    mode: o.dryRun ? "dry-run" : "enforce",
    origin: "local",
    host: {
      hv,
      log,
      shutdownTimeoutMs: 2_000,
      ownership: ownershipScope(ledger, bundle.wire.policies, bundle.rolledBack),
    },
  });
  return r.report.resources as Report[];
}

const one = (reports: Report[], kind: string, name: string) => {
  const r = reports.find((x) => x.kind === kind && x.name === name);
  if (!r) throw new Error(`no report for ${kind}/${name}: ${JSON.stringify(reports)}`);
  return r;
};

function network(name: string, over: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    name,
    mode: "isolated",
    bridge: `vfo${hex}${name.slice(-2)}`,
    ipv4: null,
    mtu: null,
    autostart: false,
    state: "active",
    ...over,
  };
}

/** A pool's XML without its usage figures (they change as the disk fills). */
const poolDefinition = (xml: string) => xml.replace(/<(capacity|allocation|available) [^>]*>\d+<\/\1>/g, "");

async function defineByHand(kind: "define" | "net-define" | "pool-define", xml: string): Promise<void> {
  const file = join(dir.path, `${kind}.xml`);
  writeFileSync(file, xml);
  await virsh(kind, file);
}

beforeAll(async () => {
  chmodSync(dir.path, 0o755); // qemu runs as libvirt-qemu and must reach the disk file
  execFileSync("qemu-img", ["create", "-q", "-f", "raw", diskFile, "1M"]);
  hv = await Hypervisor.open();
  store = AgentStore.openFile(":memory:");
});

afterAll(async () => {
  store?.close();
  await hv?.close();
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("a guest defined by hand", () => {
  let inactiveBefore = "";

  it("is a conflict, and neither its definition nor the running guest is touched", async () => {
    await defineByHand(
      "define",
      `<domain type='${HOST_DOMAIN_TYPE}'>
  <name>${guest}</name>
  <description>the operator's database</description>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${diskFile}'/><target dev='vda' bus='virtio'/></disk>
    <console type='pty'/>
  </devices>
</domain>`,
    );
    await virsh("start", guest);
    inactiveBefore = await virsh("dumpxml", "--inactive", guest);
    const liveBefore = await virsh("dumpxml", guest);
    const policy = resolvedPolicy("guests", { domains: [tinyDomainSpec(guest)] });

    for (const dryRun of [true, false]) {
      const r = one(await run([policy], { dryRun }), "domain", guest);
      expect(r.outcome).toBe("conflict");
      expect(r.error).toMatch(/unmanaged object with this name/);
      expect(r.error).toMatch(/adopt: true/);
    }
    expect(await virsh("dumpxml", "--inactive", guest)).toBe(inactiveBefore);
    expect(await virsh("dumpxml", guest)).toBe(liveBefore);
    expect(store.ownership.get("domain", guest)).toBeUndefined();
  });

  it("adopt: true takes it over for the next boot: the running guest keeps its disk (pending restart)", async () => {
    const policy = resolvedPolicy("guests", { domains: [tinyDomainSpec(guest, { adopt: true })] });
    const dry = one(await run([policy], { dryRun: true, revisions: { guests: "r2" } }), "domain", guest);
    expect(dry.outcome).toBe("drift");
    expect(dry.changes.map((c) => c.field)).toContain("ownership");
    expect(await virsh("dumpxml", "--inactive", guest)).toBe(inactiveBefore);

    const r = one(await run([policy], { revisions: { guests: "r2" } }), "domain", guest);
    expect(r.outcome).toBe("changed");
    expect(r.changes.map((c) => c.field)).toContain("ownership");
    expect(r.pendingRestart).toBe(true);
    expect(r.notes?.join(" ")).toMatch(/running devices are kept/);
    expect(await virsh("domblklist", guest)).toContain("vda"); // live: still attached
    const inactive = await virsh("dumpxml", "--inactive", guest);
    expect(inactive).not.toContain(diskFile); // the policy's definition, for the next boot
    expect(inactive).toContain("https://virtfleet.dev/xmlns/1");
    expect(inactive).toContain("<vf:createdBy>r2</vf:createdBy>");
    expect((await virsh("domstate", guest)).trim()).toBe("running");
    const rec = store.ownership.get("domain", guest);
    expect(rec).toMatchObject({ adopted: true, policy: "guests", revision: "r2" });
    expect(rec?.replacedXml).toBe(inactiveBefore);
    // owned now: a second run is in sync (the running guest still waits for its restart)
    const again = one(await run([policy], { revisions: { guests: "r2" } }), "domain", guest);
    expect(again.outcome).toBe("ok");
  });

  it("a rollback of the adopting revision restores the definition it replaced; the guest is unmanaged again", async () => {
    const back = resolvedPolicy("guests", {});
    const reports = await run([back], {
      revisions: { guests: "r1" },
      rolledBack: [{ policy: "guests", revision: "r2" }],
    });
    const r = one(reports, "domain", guest);
    expect(r.outcome).toBe("changed");
    expect(r.changes).toEqual([{ field: "ownership", from: "adopted", to: "restored", disruption: "live" }]);
    expect(await virsh("dumpxml", "--inactive", guest)).toBe(inactiveBefore);
    expect(await virsh("dumpxml", guest)).not.toContain("https://virtfleet.dev/xmlns/1");
    expect((await virsh("domstate", guest)).trim()).toBe("running");
    expect(store.ownership.get("domain", guest)).toBeUndefined();
    // nothing left to undo; the old revision naming it again finds it unmanaged
    expect(
      await run([back], { revisions: { guests: "r1" }, rolledBack: [{ policy: "guests", revision: "r2" }] }),
    ).toEqual([]);
    const named = resolvedPolicy("guests", { domains: [tinyDomainSpec(guest)] });
    expect(one(await run([named]), "domain", guest).outcome).toBe("conflict");
  });
});

describe("a network, a pool and a volume made by hand", () => {
  const net = `${prefix}n1`;
  const pool = `${prefix}p1`;
  const poolDir = join(dir.path, "pool");
  const vol = "hand.qcow2";
  const poolSpec = (over: Partial<PoolSpec> = {}): PoolSpec => ({
    name: pool,
    type: "dir",
    path: poolDir,
    autostart: false,
    state: "active",
    ...over,
  });
  const volSpec = (over: Partial<VolumeSpec> = {}): VolumeSpec => ({
    name: vol,
    pool,
    format: "qcow2",
    capacityBytes: 8 * 1024 * 1024,
    backingVolume: null,
    source: null,
    state: "present",
    ...over,
  });
  const before: Record<string, string> = {};

  it("are conflicts, left untouched", async () => {
    await defineByHand(
      "net-define",
      `<network><name>${net}</name><bridge name='vfo${hex}h'/><domain name='handmade'/></network>`,
    );
    await virsh("net-start", net);
    await virsh("pool-define-as", pool, "dir", "--target", poolDir);
    await virsh("pool-build", pool);
    await virsh("pool-start", pool);
    await virsh("vol-create-as", pool, vol, "4M", "--format", "qcow2");
    before.net = await virsh("net-dumpxml", "--inactive", net);
    before.pool = await virsh("pool-dumpxml", "--inactive", pool);
    before.vol = await virsh("vol-dumpxml", vol, "--pool", pool);

    const policy = resolvedPolicy("infra", {
      networks: [network(net, { bridge: `vfo${hex}x` })],
      pools: [poolSpec()],
      volumes: [volSpec()],
    });
    for (const dryRun of [true, false]) {
      const reports = await run([policy], { dryRun });
      for (const [kind, name] of [
        ["network", net],
        ["pool", pool],
        ["volume", `${pool}/${vol}`],
      ] as const) {
        const r = one(reports, kind, name);
        expect(r.outcome, `${kind} ${name}`).toBe("conflict");
        expect(r.error).toMatch(/unmanaged object with this name/);
      }
    }
    expect(await virsh("net-dumpxml", "--inactive", net)).toBe(before.net);
    expect(poolDefinition(await virsh("pool-dumpxml", "--inactive", pool))).toBe(poolDefinition(before.pool!));
    expect(await virsh("vol-dumpxml", vol, "--pool", pool)).toBe(before.vol);
  });

  it("adopt: true takes them over; a rollback of that revision restores the network's and pool's definitions", async () => {
    const policy = resolvedPolicy("infra", {
      networks: [network(net, { bridge: `vfo${hex}h`, mtu: 9000, adopt: true })],
      pools: [poolSpec({ adopt: true })],
      volumes: [volSpec({ adopt: true })],
    });
    const reports = await run([policy], { revisions: { infra: "r2" } });
    for (const [kind, name] of [
      ["network", net],
      ["pool", pool],
      ["volume", `${pool}/${vol}`],
    ] as const) {
      const r = one(reports, kind, name);
      expect(r.outcome, `${kind} ${name}: ${r.error}`).toBe("changed");
      expect(r.changes.map((c) => c.field)).toContain("ownership");
      expect(store.ownership.get(kind, name)).toMatchObject({ adopted: true, revision: "r2" });
    }
    expect(await virsh("net-dumpxml", "--inactive", net)).toContain("<mtu size='9000'/>");
    expect(await virsh("vol-info", vol, "--pool", pool)).toMatch(/8\.00 MiB/);
    expect((await run([policy], { revisions: { infra: "r2" } })).map((r) => r.outcome)).toEqual(["ok", "ok", "ok"]);

    const back = await run([resolvedPolicy("infra", {})], {
      revisions: { infra: "r1" },
      rolledBack: [{ policy: "infra", revision: "r2" }],
    });
    expect(back.map((r) => [r.kind, r.outcome])).toEqual(
      expect.arrayContaining([
        ["network", "changed"],
        ["pool", "changed"],
        ["volume", "changed"],
      ]),
    );
    expect(await virsh("net-dumpxml", "--inactive", net)).toBe(before.net);
    expect(poolDefinition(await virsh("pool-dumpxml", "--inactive", pool))).toBe(poolDefinition(before.pool!));
    expect(await volumeNames(pool)).toContain(vol); // an adopted volume is never deleted
    expect(store.ownership.list()).toEqual([]);
  });
});

describe("a rolled-back revision's creations", () => {
  const net = `${prefix}n2`;
  const created = `${prefix}new`;

  it("are removed; objects dropped by a newer revision (not rolled back) stay", async () => {
    const base = resolvedPolicy("app", {});
    expect(await run([base], { revisions: { app: "r1" } })).toEqual([]);
    // r2 adds a network and a guest on it
    const r2 = resolvedPolicy("app", {
      networks: [network(net)],
      domains: [
        tinyDomainSpec(created, {
          state: "shutoff",
          interfaces: [{ network: net, model: "virtio", mac: "52:54:00:aa:bb:01" }],
        }),
      ],
    });
    const applied = await run([r2], { revisions: { app: "r2" } });
    expect(applied.map((r) => r.outcome)).toEqual(["changed", "changed"]);
    expect(store.ownership.get("domain", created)).toMatchObject({ adopted: false, revision: "r2" });
    expect(await virsh("dumpxml", "--inactive", created)).toContain("<vf:createdBy>r2</vf:createdBy>");

    // the plan of the rollback shows the removals and changes nothing
    const plan = await run([base], {
      dryRun: true,
      revisions: { app: "r1" },
      rolledBack: [{ policy: "app", revision: "r2" }],
    });
    expect(plan.map((r) => [r.kind, r.name, r.outcome])).toEqual([
      ["domain", created, "drift"],
      ["network", net, "drift"],
    ]);
    expect((await virshResult("dominfo", created)).code).toBe(0);

    const back = await run([base], { revisions: { app: "r1" }, rolledBack: [{ policy: "app", revision: "r2" }] });
    expect(back.map((r) => [r.kind, r.outcome])).toEqual([
      ["domain", "changed"],
      ["network", "changed"],
    ]);
    expect((await virshResult("dominfo", created)).code).not.toBe(0);
    expect((await virshResult("net-info", net)).code).not.toBe(0);
    expect(store.ownership.list()).toEqual([]);

    // r3 creates the network again; r4 drops it: not a rollback, so it stays (unmanaged by the bundle)
    await run([resolvedPolicy("app", { networks: [network(net)] })], { revisions: { app: "r3" } });
    expect(await run([base], { revisions: { app: "r4" } })).toEqual([]);
    expect((await virshResult("net-info", net)).code).toBe(0);
  });
});

describe("ownership records lost or predating this version", () => {
  const net = `${prefix}n3`;
  const other = `${prefix}n4`;

  it("lost: an object virtfleet created becomes a conflict until a policy adopts it, never silently owned", async () => {
    const policy = resolvedPolicy("lost", { networks: [network(net)] });
    expect(one(await run([policy]), "network", net).outcome).toBe("changed");
    expect(one(await run([policy]), "network", net).outcome).toBe("ok");
    const fresh = AgentStore.openFile(":memory:"); // the state folder was wiped
    try {
      const r = one(await run([policy], { ledger: fresh.ownership }), "network", net);
      expect(r.outcome).toBe("conflict");
      const adopt = resolvedPolicy("lost", { networks: [network(net, { adopt: true })] });
      expect(one(await run([adopt], { ledger: fresh.ownership }), "network", net).outcome).toBe("changed");
      expect(one(await run([policy], { ledger: fresh.ownership }), "network", net).outcome).toBe("ok");
    } finally {
      fresh.close();
    }
  });

  it("upgrade: what the cached bundle declares counts as owned (identity pinned at first sight); the rest is a conflict", async () => {
    const old = tempDir("vft-own-db-");
    try {
      // an agent of the previous version: schema without ownership records, a cached bundle naming `net`
      const file = join(old.path, "agent.db");
      const db = openDatabase(file, AGENT_MIGRATIONS.slice(0, 2));
      const policy = resolvedPolicy("lost", { networks: [network(net)] });
      new BundleCache(db).save({
        revision: "old",
        generation: 7,
        bundleJson: JSON.stringify({
          revision: "old",
          generation: 7,
          policies: [{ name: "lost", revision: "r0", mode: "enforce", resolvedJson: JSON.stringify(policy) }],
        }),
      });
      db.close();
      await defineByHand("net-define", `<network><name>${other}</name><bridge name='vfo${hex}o'/></network>`);

      const upgraded = AgentStore.openFile(file);
      try {
        expect(upgraded.ownership.get("network", net)).toMatchObject({ identity: null, policy: "lost" });
        expect(one(await run([policy], { ledger: upgraded.ownership }), "network", net).outcome).toBe("ok");
        const uuid = (await virsh("net-uuid", net)).trim();
        expect(upgraded.ownership.get("network", net)?.identity).toBe(uuid);
        const two = resolvedPolicy("lost", { networks: [network(net), network(other, { state: "inactive" })] });
        expect(one(await run([two], { ledger: upgraded.ownership }), "network", other).outcome).toBe("conflict");
      } finally {
        upgraded.close();
      }
      // seeded once: reopening does not seed again
      const again = AgentStore.openFile(file);
      try {
        again.ownership.forget("network", net);
      } finally {
        again.close();
      }
      const third = AgentStore.openFile(file);
      try {
        expect(third.ownership.get("network", net)).toBeUndefined();
      } finally {
        third.close();
      }
    } finally {
      old.cleanup();
    }
  });
});
