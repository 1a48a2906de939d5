import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyOutcomeCounts } from "../../../common/wire/states.js";
import { stringify } from "yaml";
import { applyLocalJson, outcome } from "../../harness/apply-local.js";
import { runCli, tempDir } from "../../harness/processes.js";
import { freeSubnet24 } from "../../harness/subnet.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../../harness/virsh.js";

// `virtfleet apply --local` as a real process against the real libvirtd, verified with virsh.
const prefix = testPrefix();
const dir = tempDir("vft-apply-");
// QEMU runs as libvirt-qemu: it must be able to reach the pool directory.
chmodSync(dir.path, 0o755);
const policies = join(dir.path, "policies");
const poolPath = join(dir.path, "pool");
const net = `${prefix}net`;
const pool = `${prefix}pool`;
const web = `${prefix}web`;
const db = `${prefix}db`;
const bridge = `vftap${prefix.slice(4, 8)}`;
let subnet = 0;

interface Guest {
  name: string;
  vcpus?: number;
  state?: string;
  nics?: number;
}

function writePolicies(o: { guests: Guest[]; removeAll?: boolean; removePool?: boolean; typo?: boolean }): void {
  const absent = o.removeAll === true;
  const base = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "base" },
    spec: {
      resources: {
        networks: [
          {
            name: net,
            mode: "nat",
            bridge,
            ipv4: {
              address: `192.168.${subnet}.1`,
              prefix: 24,
              dhcp: { start: `192.168.${subnet}.100`, end: `192.168.${subnet}.150` },
            },
            autostart: false,
            state: absent ? "absent" : "active",
          },
        ],
        pools: [
          {
            name: pool,
            type: "dir",
            path: poolPath,
            autostart: false,
            state: absent || o.removePool ? "absent" : "active",
          },
        ],
      },
    },
  };
  const guests = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "guests" },
    spec: {
      resources: {
        volumes: o.guests.map((g) => ({
          name: `${g.name}.qcow2`,
          pool,
          format: "qcow2",
          capacity: "64MiB",
          state: absent ? "absent" : "present",
        })),
        domains: o.guests.map((g) => ({
          name: g.name,
          vcpus: g.vcpus ?? 1,
          memory: "128MiB",
          ...(o.typo ? { memroy: "256MiB" } : {}),
          disks: [{ volume: `${pool}/${g.name}.qcow2` }],
          interfaces: Array.from({ length: g.nics ?? 1 }, () => ({ network: net })),
          autostart: true,
          state: absent ? "absent" : (g.state ?? "running"),
        })),
      },
    },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "base.yaml"), stringify(base));
  writeFileSync(join(policies, "guests.yaml"), stringify(guests));
}

const apply = (...extra: string[]) => applyLocalJson(policies, ["--shutdown-timeout", "2s", ...extra]);

beforeAll(async () => {
  subnet = await freeSubnet24();
});

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("virtfleet apply --local on a real KVM host", () => {
  it("a dry-run from nothing reports every resource as drift and creates nothing", async () => {
    writePolicies({ guests: [{ name: web }, { name: db }] });
    const r = await apply("--dry-run");
    expect(r.code).toBe(3);
    expect(r.json.dryRun).toBe(true);
    expect(r.json.summary).toMatchObject({ drift: 6, changed: 0, failed: 0 });
    expect((await virshResult("dominfo", web)).code).not.toBe(0);
    expect((await virshResult("net-info", net)).code).not.toBe(0);
  });

  it("converges from nothing, verified with virsh", async () => {
    const r = await apply();
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code).toBe(0);
    expect(r.json.summary).toMatchObject({ changed: 6, failed: 0, skipped: 0 });
    const info = await virsh("dominfo", web);
    expect(info).toMatch(/State:\s+running/);
    expect(info).toMatch(/CPU\(s\):\s+1/);
    expect(info).toMatch(/Max memory:\s+131072 KiB/);
    expect(info).toMatch(/Autostart:\s+enable/);
    const netXml = await virsh("net-dumpxml", net);
    expect(netXml).toContain(`<range start='192.168.${subnet}.100' end='192.168.${subnet}.150'/>`);
    expect(netXml).toContain(`<bridge name='${bridge}'`);
    const vol = await virsh("vol-dumpxml", `${web}.qcow2`, "--pool", pool);
    expect(vol).toContain("<format type='qcow2'/>");
    expect(vol).toMatch(/<capacity unit='bytes'>67108864<\/capacity>/);
    expect(await virsh("domiflist", web)).toContain(net);
  });

  it("a second apply changes nothing", async () => {
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.json.summary).toEqual({ ...emptyOutcomeCounts(), ok: 6 });
  });

  it("one changed field changes exactly that field, classified restart, pending", async () => {
    writePolicies({ guests: [{ name: web, vcpus: 2 }, { name: db }] });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.json.summary.changed).toBe(1);
    const w = outcome(r.json, "domain", web);
    expect(w.changes).toEqual([{ field: "vcpus", from: 1, to: 2, disruption: "restart" }]);
    expect(w.pendingRestart).toBe(true);
    expect(await virsh("vcpucount", web, "--config", "--maximum")).toMatch(/^2/);
    expect(await virsh("vcpucount", web, "--live", "--current")).toMatch(/^1/);
    const again = await apply();
    expect(again.json.summary.changed).toBe(0);
    expect(outcome(again.json, "domain", web).pendingRestart).toBe(true);
  });

  it("a dry-run after an out-of-band virsh change reports that drift and changes nothing; apply repairs it", async () => {
    await virsh("destroy", db);
    await virsh("autostart", "--disable", web);
    const dry = await apply("--dry-run");
    expect(dry.code).toBe(3);
    expect(outcome(dry.json, "domain", db).changes).toEqual([
      { field: "state", from: "shutoff", to: "running", disruption: "live" },
    ]);
    expect(outcome(dry.json, "domain", web).changes).toEqual([
      { field: "autostart", from: false, to: true, disruption: "live" },
    ]);
    expect(await virsh("domstate", db)).toMatch(/shut off/);
    const fix = await apply();
    expect(fix.json.summary).toMatchObject({ changed: 2, failed: 0 });
    expect(await virsh("domstate", db)).toMatch(/running/);
  });

  it("attaches a NIC to a running guest live; a detach the guest does not complete stays pending", async () => {
    writePolicies({
      guests: [
        { name: web, vcpus: 2 },
        { name: db, nics: 2 },
      ],
    });
    const add = await apply();
    expect(add.code).toBe(0);
    const d = outcome(add.json, "domain", db);
    expect(d.changes).toHaveLength(1);
    expect(d.changes[0]).toMatchObject({ field: "interfaces[1]", from: null, disruption: "live" });
    expect(d.pendingRestart).toBeUndefined();
    expect(
      (await virsh("domiflist", db))
        .trim()
        .split("\n")
        .filter((l) => l.includes(net)),
    ).toHaveLength(2);
    expect((await apply()).json.summary.changed).toBe(0);

    writePolicies({ guests: [{ name: web, vcpus: 2 }, { name: db }] });
    const remove = await apply();
    expect(remove.code).toBe(0);
    const r = outcome(remove.json, "domain", db);
    expect(r.changes[0]).toMatchObject({ to: null, disruption: "live" });
    expect(r.changes[0].field).toMatch(/^interfaces\[52:54:00:/);
    expect(await virsh("domiflist", db, "--inactive")).not.toContain(r.changes[0].from.mac);
    // A guest without an OS never releases the NIC: honest about it.
    expect(r.pendingRestart).toBe(true);
    expect(r.notes.join(" ")).toMatch(/detach requested/);
  });

  it("an invalid policy fails validation with file:line:col and touches nothing", async () => {
    writePolicies({
      guests: [
        { name: web, vcpus: 2 },
        { name: db, state: "shutoff" },
      ],
      typo: true,
    });
    const r = await runCli(["apply", policies, "--local"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/guests\.yaml:\d+:\d+: .*memroy/);
    expect(r.stderr).toMatch(/nothing was applied/);
    expect(await virsh("domstate", db)).toMatch(/running/);
  });

  it("a pool declared absent while its volumes are kept is a dangling reference: refused at validation, nothing touched", async () => {
    // (a pool holding volumes no policy declares is refused as blocked at apply: test/integration/apply/refusals.test.ts)
    writePolicies({ guests: [{ name: web }, { name: db }], removePool: true });
    const r = await runCli(["apply", policies, "--local"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/\.yaml:\d+:\d+: .*absent/);
    expect(r.stderr).toMatch(/nothing was applied/);
    expect((await virshResult("pool-info", pool)).code).toBe(0);
    expect(await virsh("domstate", db)).toMatch(/running/);
  });

  it("state absent removes domains, then volumes, then pool and network", async () => {
    writePolicies({ guests: [{ name: web }, { name: db }], removeAll: true });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.json.summary).toMatchObject({ changed: 6, failed: 0, skipped: 0 });
    const order = r.json.resources.map((x: any) => `${x.kind}/${x.name}`);
    expect(order.indexOf(`domain/${web}`)).toBeLessThan(order.indexOf(`volume/${pool}/${web}.qcow2`));
    expect(order.indexOf(`volume/${pool}/${web}.qcow2`)).toBeLessThan(order.indexOf(`pool/${pool}`));
    for (const [cmd, name] of [
      ["dominfo", web],
      ["dominfo", db],
      ["pool-info", pool],
      ["net-info", net],
    ]) {
      expect((await virshResult(cmd, name)).code, `${cmd} ${name}`).not.toBe(0);
    }
    const again = await apply();
    expect(again.json.summary).toEqual({ ...emptyOutcomeCounts(), ok: 6 });
  });
});
