import { mkdirSync, readFileSync, existsSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { applyLocalJson, outcome } from "../../harness/apply-local.js";
import { runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh, virshResult, volumeNames } from "../../harness/virsh.js";

// Issue 21 item 1: a change that would destroy or strand data is refused (`blocked`), in a
// dry-run and an apply alike, and nothing is touched. `virtfleet apply --local` as a real
// process against the real libvirtd; a marker written into the volume (as a guest would) must
// survive every refused edit, and libvirt's definitions must stay as they were.
const prefix = testPrefix();
const dir = tempDir("vft-refuse-");
const policies = join(dir.path, "policies");
const pathA = join(dir.path, "a");
const pathB = join(dir.path, "b");
const emptyA = join(dir.path, "empty-a");
const emptyB = join(dir.path, "empty-b");
const pool = `${prefix}images`;
const empty = `${prefix}empty`;
const vol = "disk.raw";
const MARKER = `virtfleet-marker-${prefix}`;

interface Spec {
  path?: string;
  emptyPath?: string;
  capacity?: string;
  format?: string;
  poolState?: string;
  noVolumes?: boolean;
}

function write(o: Spec = {}): void {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "storage" },
    spec: {
      resources: {
        pools: [
          { name: pool, type: "dir", path: o.path ?? pathA, state: o.poolState ?? "active" },
          { name: empty, type: "dir", path: o.emptyPath ?? emptyA },
        ],
        volumes: o.noVolumes ? [] : [{ name: vol, pool, format: o.format ?? "raw", capacity: o.capacity ?? "16MiB" }],
      },
    },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "storage.yaml"), stringify(doc));
}

const apply = (...extra: string[]) => applyLocalJson(policies, extra);

/** What must not change through a refused edit: the definitions, the volume list, the content. */
async function snapshot() {
  return {
    // the definition, without the free-space figures libvirt fills in
    poolXml: (await virsh("pool-dumpxml", "--inactive", pool)).replace(
      /<(capacity|allocation|available)[^<]*<\/\1>/g,
      "",
    ),
    volXml: (await virsh("vol-dumpxml", "--pool", pool, vol)).replace(/<(atime|mtime|ctime)>[^<]*<\/\1>/g, ""),
    volumes: await volumeNames(pool),
    marker: readFileSync(join(pathA, vol)).subarray(0, MARKER.length).toString(),
  };
}

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("changes that would destroy or strand data are refused (blocked)", { timeout: 120_000 }, () => {
  let before: Awaited<ReturnType<typeof snapshot>>;

  it("creates the pool and volume; a marker is written into the volume", async () => {
    write();
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    const fd = openSync(join(pathA, vol), "r+");
    writeSync(fd, MARKER, 0);
    closeSync(fd);
    before = await snapshot();
    expect(before.marker).toBe(MARKER);
    expect(before.volumes).toEqual([vol]);
  });

  it("a pool path edit is blocked in a dry-run, naming the field, the pool and what to do", async () => {
    write({ path: pathB });
    const r = await apply("--dry-run");
    expect(r.code, r.stderr).toBe(4);
    const p = outcome(r.json, "pool", pool);
    expect(p.outcome).toBe("blocked");
    expect(p.error).toContain(`pool/${pool}: path ${pathA} → ${pathB} would strand its 1 volume (${vol})`);
    expect(p.error).toMatch(/remove the volumes first/);
    expect(p.changes).toContainEqual({ field: "path", from: pathA, to: pathB, disruption: "recreate" });
    expect(r.json.summary).toMatchObject({ blocked: 1, failed: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it("applying the pool path edit is blocked: nothing redefined, the volume keeps its content", async () => {
    const r = await apply();
    expect(r.code, r.stderr).toBe(4);
    expect(outcome(r.json, "pool", pool).outcome).toBe("blocked");
    // the volume is still checked (dependents of a refused resource are not skipped) and in sync
    expect(outcome(r.json, "volume", `${pool}/${vol}`).outcome).toBe("ok");
    expect(await snapshot()).toEqual(before);
    expect(existsSync(pathB)).toBe(false);
  });

  it("the human output says blocked and why", async () => {
    const r = await runCli(["apply", policies, "--local"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`# blocked\\s+pool ${pool}`));
    expect(r.stdout).toMatch(/would strand its 1 volume/);
    expect(r.stdout).toMatch(/1 blocked/);
  });

  it("an empty pool may be moved: it is redefined at the new path", async () => {
    write({ emptyPath: emptyB });
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(outcome(r.json, "pool", empty).changes).toContainEqual({
      field: "path",
      from: emptyA,
      to: emptyB,
      disruption: "recreate",
    });
    expect(await virsh("pool-dumpxml", "--inactive", empty)).toContain(`<path>${emptyB}</path>`);
    expect(await snapshot()).toEqual(before);
  });

  it("a volume shrink is blocked in dry-run and apply; capacity and content stay", async () => {
    write({ emptyPath: emptyB, capacity: "8MiB" });
    for (const extra of [["--dry-run"], []]) {
      const r = await apply(...extra);
      expect(r.code, r.stderr).toBe(4);
      const v = outcome(r.json, "volume", `${pool}/${vol}`);
      expect(v.outcome).toBe("blocked");
      expect(v.error).toContain(`volume/${pool}/${vol}: capacity 16.0 MiB → 8.0 MiB would destroy its data`);
      expect(v.error).toMatch(/state: absent/);
      expect(await snapshot()).toEqual(before);
    }
  });

  it("a volume format change is blocked in dry-run and apply; format and content stay", async () => {
    write({ emptyPath: emptyB, format: "qcow2" });
    for (const extra of [["--dry-run"], []]) {
      const r = await apply(...extra);
      expect(r.code, r.stderr).toBe(4);
      const v = outcome(r.json, "volume", `${pool}/${vol}`);
      expect(v.outcome).toBe("blocked");
      expect(v.error).toContain("format raw → qcow2 would destroy its data");
      expect(await snapshot()).toEqual(before);
    }
  });

  it("an inactive pool's files count as its volumes: moving it is blocked too", async () => {
    await virsh("pool-destroy", pool);
    write({ emptyPath: emptyB, path: pathB, poolState: "inactive" });
    const r = await apply();
    // the volume cannot be read in an inactive pool: failed (exit 1), the pool blocked
    expect(r.code, r.stderr).toBe(1);
    expect(outcome(r.json, "volume", `${pool}/${vol}`).outcome).toBe("failed");
    expect(outcome(r.json, "pool", pool).outcome).toBe("blocked");
    expect(outcome(r.json, "pool", pool).error).toContain(
      `path ${pathA} → ${pathB} would strand its 1 volume (${vol})`,
    );
    expect((await virshResult("pool-info", pool)).stdout).toMatch(/State:\s+inactive/);
    await virsh("pool-start", pool);
    expect(await snapshot()).toEqual(before);
  });

  it("removing a pool that holds volumes is blocked; it stays defined and active", async () => {
    // the volume is no longer declared (a present volume cannot live in a pool declared absent)
    write({ emptyPath: emptyB, poolState: "absent", noVolumes: true });
    const r = await apply();
    expect(r.code, r.stderr).toBe(4);
    const p = outcome(r.json, "pool", pool);
    expect(p.outcome).toBe("blocked");
    expect(p.error).toContain(`pool/${pool}: state → absent would strand its 1 volume (${vol})`);
    expect((await virshResult("pool-info", pool)).stdout).toMatch(/State:\s+running/);
    expect(await snapshot()).toEqual(before);
  });
});
