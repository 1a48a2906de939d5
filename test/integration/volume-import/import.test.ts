/**
 * Volume import against the real libvirtd: a qcow2 source over HTTP (loopback server), a raw
 * one over file://, into a transient dir pool `vft-imp-<random>` in a temp dir.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type VolumeSpec } from "../../../common/index.js";
import { converge, DEFAULT_ENGINE_OPTIONS, type EngineReport } from "../../../engine/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { VolumeResource } from "../../../kinds/volume/resource.js";
import type { ProgressEvent } from "../../../kinds/volume/import/index.js";
import { virsh, virshResult, volumeNames } from "../../harness/virsh.js";
import { serveBytes, serveSlowly, startServer, type TestServer } from "../../unit/volume-import/server.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const pool = `vft-imp-${randomBytes(4).toString("hex")}`;
let hv: Hypervisor;
let src: string;
let poolDir: string;
let server: TestServer;
const sha: Record<string, string> = {};
const events: ProgressEvent[] = [];

const sha256sum = async (path: string) => (await run("sha256sum", [path])).stdout.split(" ")[0]!;

function volume(name: string, over: Partial<VolumeSpec>): VolumeResource {
  const spec: VolumeSpec = {
    name,
    pool,
    format: "qcow2",
    capacityBytes: 32 * MiB,
    backingVolume: null,
    source: null,
    state: "present",
    ...over,
  };
  return new VolumeResource(spec, "imports", [], {
    hv,
    log: silentLogger(),
    shutdownTimeoutMs: 1_000,
    progress: (e) => events.push(e),
  });
}

const apply = (rs: VolumeResource[], dryRun = false): Promise<EngineReport> =>
  converge(rs, { ...DEFAULT_ENGINE_OPTIONS, apply: !dryRun });
const report = (r: EngineReport, name: string) => r.resources.find((x) => x.name === `${pool}/${name}`)!;

beforeAll(async () => {
  hv = await Hypervisor.open();
  src = await mkdtemp(join(tmpdir(), "vft-imp-src-"));
  poolDir = await mkdtemp(join(tmpdir(), "vft-imp-pool-"));
  await run("qemu-img", ["create", "-f", "qcow2", join(src, "src.qcow2"), "16M"]);
  await run("qemu-img", ["create", "-f", "raw", join(src, "src.raw"), "8M"]);
  sha.qcow2 = await sha256sum(join(src, "src.qcow2"));
  sha.raw = await sha256sum(join(src, "src.raw"));
  server = await startServer();
  server.route("/images/base.qcow2", serveBytes(await readFile(join(src, "src.qcow2"))));
  server.route("/images/slow.raw", serveSlowly(await readFile(join(src, "src.raw")), 100, 50));
  await virsh("pool-create-as", pool, "dir", "--target", poolDir);
});

afterAll(async () => {
  if ((await virshResult("pool-info", pool)).code === 0) {
    for (const v of await volumeNames(pool)) await virshResult("vol-delete", v, "--pool", pool);
    await virshResult("pool-destroy", pool);
  }
  await server?.close();
  await hv?.close();
  for (const d of [src, poolDir]) if (d) await rm(d, { recursive: true, force: true });
});

describe("volume import", () => {
  const base = () => volume("base.qcow2", { source: { url: server.url("/images/base.qcow2"), sha256: sha.qcow2! } });
  const disk = () =>
    volume("disk.raw", {
      format: "raw",
      capacityBytes: 8 * MiB,
      source: { url: pathToFileURL(join(src, "src.raw")).href, sha256: sha.raw! },
    });

  it("a dry-run reports the import and downloads nothing", async () => {
    const r = await apply([base()], true);
    expect(report(r, "base.qcow2")).toMatchObject({ outcome: "drift" });
    expect(report(r, "base.qcow2").changes.map((c) => c.field)).toEqual(["state", "source"]);
    expect(server.hits.get("/images/base.qcow2")).toBeUndefined();
    expect(await readdir(poolDir)).toEqual([]);
  });

  it("imports over http and file://, verifies, and grows to the declared capacity", async () => {
    const r = await apply([base(), disk()]);
    expect(r.summary).toMatchObject({ changed: 2, failed: 0 });
    expect(report(r, "base.qcow2").changes).toEqual([
      { field: "state", from: "absent", to: "present", disruption: "live" },
      { field: "source", from: null, to: server.url("/images/base.qcow2"), disruption: "live" },
      { field: "capacity", from: 16 * MiB, to: 32 * MiB, disruption: "live" },
    ]);
    expect(report(r, "base.qcow2").notes?.[0]).toMatch(
      /^imported .* from http:\/\/127\.0\.0\.1:\d+\/images\/base\.qcow2; sha256 verified$/,
    );
    expect(report(r, "disk.raw").changes.map((c) => c.field)).toEqual(["state", "source"]);
    expect(server.hits.get("/images/base.qcow2")).toBe(1);

    const qxml = await virsh("vol-dumpxml", "base.qcow2", "--pool", pool);
    expect(qxml).toMatch(/<format type='qcow2'\/>/);
    expect(qxml).toContain(`<capacity unit='bytes'>${32 * MiB}</capacity>`);
    expect(qxml).not.toContain("<backingStore>");
    const rxml = await virsh("vol-dumpxml", "disk.raw", "--pool", pool);
    expect(rxml).toMatch(/<format type='raw'\/>/);
    expect(rxml).toContain(`<capacity unit='bytes'>${8 * MiB}</capacity>`);
    expect(await virsh("vol-info", "base.qcow2", "--pool", pool)).toMatch(/Capacity:\s+32\.00 MiB/);
    // The raw image was not resized, so its bytes are the source's.
    expect(await sha256sum(join(poolDir, "disk.raw"))).toBe(sha.raw);
    expect((await readdir(poolDir)).sort()).toEqual(["base.qcow2", "disk.raw"]);

    const phases = new Set(events.filter((e) => e.resource === `volume/${pool}/base.qcow2`).map((e) => e.phase));
    expect([...phases]).toEqual(["download", "verify", "resize"]);
  });

  it("a second apply changes nothing and downloads nothing", async () => {
    const r = await apply([base(), disk()]);
    expect(r.summary).toMatchObject({ ok: 2, changed: 0, failed: 0 });
    expect(server.hits.get("/images/base.qcow2")).toBe(1);
  });

  it("a wrong sha256 fails, leaves no volume and no partial file", async () => {
    const r = await apply([
      volume("bad.qcow2", { source: { url: server.url("/images/base.qcow2"), sha256: "a".repeat(64) } }),
    ]);
    const bad = report(r, "bad.qcow2");
    expect(bad.outcome).toBe("failed");
    expect(bad.error).toMatch(
      /sha256 of http:\/\/127\.0\.0\.1:\d+\/images\/base\.qcow2 is [0-9a-f]{64}, the policy expects a{64}; nothing was imported/,
    );
    expect(await volumeNames(pool)).not.toContain("bad.qcow2");
    expect((await readdir(poolDir)).sort()).toEqual(["base.qcow2", "disk.raw"]);
  });

  it("HTTP 404 fails naming the URL (credentials redacted); other resources still converge", async () => {
    const missing = server.url("/images/missing.qcow2").replace("http://", "http://ops:hunter2@");
    const r = await apply([
      volume("missing.qcow2", { source: { url: missing, sha256: sha.qcow2! } }),
      volume("plain.qcow2", {}),
    ]);
    const failed = report(r, "missing.qcow2");
    expect(failed.outcome).toBe("failed");
    expect(failed.error).toMatch(/http:\/\/\*\*\*@127\.0\.0\.1:\d+\/images\/missing\.qcow2: HTTP 404/);
    expect(JSON.stringify(r)).not.toContain("hunter2");
    expect(report(r, "plain.qcow2").outcome).toBe("changed");
    expect(await volumeNames(pool)).not.toContain("missing.qcow2");
  });

  it("a file:// source that does not exist fails", async () => {
    const url = pathToFileURL(join(src, "nope.raw")).href;
    const r = await apply([volume("nope.raw", { format: "raw", source: { url, sha256: sha.raw! } })]);
    expect(report(r, "nope.raw")).toMatchObject({ outcome: "failed", error: `${url}: no such file` });
  });

  it("a raw image declared qcow2 fails before it appears in the pool", async () => {
    const r = await apply([
      volume("mislabelled.qcow2", { source: { url: pathToFileURL(join(src, "src.raw")).href, sha256: sha.raw! } }),
    ]);
    expect(report(r, "mislabelled.qcow2").error).toMatch(
      /is a raw image but the policy declares format qcow2; nothing was imported/,
    );
    expect(await volumeNames(pool)).not.toContain("mislabelled.qcow2");
    expect(await readdir(poolDir)).not.toContain(".mislabelled.qcow2.vf-partial");
  });

  it("the engine's timeout aborts the download and removes the partial file", async () => {
    const slow = volume("slow.raw", {
      format: "raw",
      capacityBytes: 8 * MiB,
      source: { url: server.url("/images/slow.raw"), sha256: sha.raw! },
    });
    const r = await converge([slow], { ...DEFAULT_ENGINE_OPTIONS, apply: true, timeoutMs: 400 });
    expect(report(r, "slow.raw")).toMatchObject({
      outcome: "failed",
      error: expect.stringMatching(/no result within 400 ms/),
    });
    // The engine does not wait for the aborted attempt; its cleanup follows shortly.
    for (let i = 0; i < 40 && (await readdir(poolDir)).includes(".slow.raw.vf-partial"); i++)
      await new Promise((res) => setTimeout(res, 50));
    expect(await readdir(poolDir)).not.toContain(".slow.raw.vf-partial");
    expect(await readdir(poolDir)).not.toContain("slow.raw");
  });

  it("a file published by an interrupted run but not yet listed by libvirt is adopted, not downloaded again", async () => {
    await copyFile(join(src, "src.raw"), join(poolDir, "orphan.raw"));
    const r = await apply([
      volume("orphan.raw", {
        format: "raw",
        capacityBytes: 8 * MiB,
        source: { url: server.url("/images/orphan.raw"), sha256: sha.raw! },
      }),
    ]);
    expect(report(r, "orphan.raw").outcome).toBe("ok");
    expect(server.hits.get("/images/orphan.raw")).toBeUndefined();
    expect(await volumeNames(pool)).toContain("orphan.raw");
  });
});
