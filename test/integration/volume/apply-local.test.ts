/**
 * The new volume fields through a whole policy: `virtfleet apply --local` as a real process
 * against the real libvirtd. A dir pool and its volumes in one policy: a clone listed before
 * its source (the dependency orders it), allocation, a second apply that changes nothing.
 * Bad input is a policy error at file:line:col and nothing is applied: a format the pool type
 * does not support, cloneFrom with source, cloneFrom a volume of another pool, allocation above
 * capacity. Objects are named vft-vo-<random>-…; afterAll removes them.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { virsh, virshResult, volumeNames } from "../../harness/virsh.js";

const prefix = `vft-vo-${randomBytes(3).toString("hex")}-`;
const dir = tempDir("vft-vo-apply-");
const policies = join(dir.path, "policies");
const poolPath = join(dir.path, "pool");
const pool = `${prefix}images`;

function write(volumes: Record<string, unknown>[]): void {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "volumes" },
    spec: { resources: { pools: [{ name: pool, type: "dir", path: poolPath }], volumes } },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "volumes.yaml"), stringify(doc));
}

const good = [
  { name: "web-02.qcow2", pool, format: "qcow2", capacity: "32MiB", cloneFrom: "golden.qcow2" },
  { name: "golden.qcow2", pool, format: "qcow2", capacity: "16MiB", allocation: "16MiB" },
  { name: "scratch.raw", pool, format: "raw", capacity: "16MiB", allocation: 0 },
];

afterAll(async () => {
  if ((await virshResult("pool-info", pool)).code === 0) {
    for (const v of await volumeNames(pool)) await virshResult("vol-delete", v, "--pool", pool);
    await virshResult("pool-destroy", pool);
    await virshResult("pool-undefine", pool);
  }
  dir.cleanup();
});

describe("volumes through apply --local", { timeout: 120_000 }, () => {
  it("bad input is a policy error at file:line:col; nothing is applied", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { name: "v", pool, capacity: "1GiB", format: "linux" },
        /volumes\.yaml:\d+:\d+: spec\.resources\.volumes\[0\]\.format: pool "[^"]+" is of type dir: format linux is not one it supports/,
      ],
      [
        {
          name: "v",
          pool,
          capacity: "1GiB",
          cloneFrom: "g",
          source: { url: "file:///srv/g.qcow2", sha256: "a".repeat(64) },
        },
        /volumes\.yaml:\d+:\d+: spec\.resources\.volumes\[0\]\.cloneFrom: a volume is either cloned \(cloneFrom\) or imported \(source\), not both/,
      ],
      [
        { name: "v", pool, capacity: "1GiB", cloneFrom: "other-pool/golden.qcow2" },
        /volumes\.yaml:\d+:\d+: spec\.resources\.volumes\[0\]\.cloneFrom: cloneFrom names a volume of pool "other-pool"; a volume is cloned only from a volume of its own pool/,
      ],
      [
        { name: "v", pool, capacity: "1GiB", allocation: "2GiB" },
        /volumes\.yaml:\d+:\d+: spec\.resources\.volumes\[0\]\.allocation: 2147483648 bytes is more than the capacity/,
      ],
    ];
    for (const [volume, message] of cases) {
      write([volume]);
      const r = await runCli(["apply", policies, "--local"]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/nothing was applied/);
      expect((await virshResult("pool-info", pool)).code).not.toBe(0);
      expect(existsSync(poolPath)).toBe(false);
    }
  });

  it("a clone listed before its source is created after it; allocation as declared; a second apply changes nothing", async () => {
    write(good);
    const r = await runCli(["apply", policies, "--local", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const clone = json.resources.find((x: { name: string }) => x.name === `${pool}/web-02.qcow2`);
    expect(clone.outcome).toBe("changed");
    expect(clone.changes.map((c: { field: string }) => c.field)).toEqual(["state", "cloneFrom", "capacity"]);
    expect((await volumeNames(pool)).sort()).toEqual(["golden.qcow2", "scratch.raw", "web-02.qcow2"]);
    expect(await virsh("vol-info", "--bytes", "web-02.qcow2", "--pool", pool)).toMatch(/Capacity:\s+33554432 bytes/);
    expect(statSync(join(poolPath, "golden.qcow2")).blocks * 512).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(statSync(join(poolPath, "scratch.raw")).blocks).toBe(0);

    const again = await runCli(["apply", policies, "--local", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).summary).toMatchObject({ ok: 4, changed: 0, failed: 0 });
  });
});
