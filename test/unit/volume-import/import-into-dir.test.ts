import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ChecksumMismatchError,
  ImageMismatchError,
  importIntoDir,
  VolumeFileExistsError,
  type DirImportRequest,
  type ProgressEvent,
} from "../../../kinds/volume/import/index.js";
import { serveSlowly, startServer, type TestServer } from "./server.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;
let src: string;
let pool: string;
const images: Record<string, { path: string; sha256: string }> = {};
let server: TestServer;

async function image(name: string, args: string[]): Promise<void> {
  const path = join(src, name);
  await run("qemu-img", ["create", ...args.slice(0, -1), path, args.at(-1)!]);
  images[name] = {
    path,
    sha256: createHash("sha256")
      .update(await readFile(path))
      .digest("hex"),
  };
}

beforeAll(async () => {
  src = await mkdtemp(join(tmpdir(), "vf-imp-src-"));
  await image("small.qcow2", ["-f", "qcow2", "16M"]);
  await image("small.raw", ["-f", "raw", "2M"]);
  await image("big.qcow2", ["-f", "qcow2", "1G"]);
  await image("overlay.qcow2", ["-f", "qcow2", "-F", "qcow2", "-b", images["small.qcow2"]!.path, "16M"]);
  server = await startServer();
  const raw = await readFile(images["small.raw"]!.path);
  server.route("/slow.raw", serveSlowly(raw, 40, 25));
});
afterAll(async () => {
  await server?.close();
  await rm(src, { recursive: true, force: true });
});
beforeEach(async () => {
  pool = await mkdtemp(join(tmpdir(), "vf-imp-pool-"));
  return () => rm(pool, { recursive: true, force: true });
});

function req(name: string, over: Partial<DirImportRequest> = {}): DirImportRequest {
  const img = images[name]!;
  return {
    dir: pool,
    name: "vol",
    source: { url: pathToFileURL(img.path).href, sha256: img.sha256 },
    format: name.endsWith(".raw") ? "raw" : "qcow2",
    maxVirtualSize: 64 * MiB,
    maxBytes: 128 * MiB,
    signal: new AbortController().signal,
    resource: "volume/p/vol",
    ...over,
  };
}

describe("importIntoDir", () => {
  it("publishes a verified image under its name and leaves nothing else", async () => {
    const events: ProgressEvent[] = [];
    const r = await importIntoDir(req("small.qcow2", { progress: (e) => events.push(e) }));
    expect(r).toMatchObject({ path: join(pool, "vol"), virtualSize: 16 * MiB });
    expect(await readdir(pool)).toEqual(["vol"]);
    expect(await readFile(join(pool, "vol"))).toEqual(await readFile(images["small.qcow2"]!.path));
    expect(events.at(-1)).toMatchObject({ phase: "verify", bytes: r.bytes, total: r.bytes });
    const downloads = events.filter((e) => e.phase === "download");
    expect(downloads.every((e) => e.total === r.bytes)).toBe(true);
    expect(downloads.at(-1)).toMatchObject({ bytes: r.bytes, total: r.bytes });
  });

  it("accepts an upper-case checksum", async () => {
    const img = images["small.raw"]!;
    await importIntoDir(
      req("small.raw", { source: { url: pathToFileURL(img.path).href, sha256: img.sha256.toUpperCase() } }),
    );
    expect(await readdir(pool)).toEqual(["vol"]);
  });

  it("a sha256 mismatch imports nothing and removes the partial file", async () => {
    const err = await importIntoDir(
      req("small.qcow2", { source: { url: pathToFileURL(images["small.qcow2"]!.path).href, sha256: "0".repeat(64) } }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toMatch(
      /sha256 of file:\/\/.*small\.qcow2 is [0-9a-f]{64}, the policy expects 0{64}; nothing was imported/,
    );
    expect(await readdir(pool)).toEqual([]);
  });

  it("a raw image declared qcow2 fails before it becomes visible", async () => {
    const err = await importIntoDir(req("small.raw", { format: "qcow2" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageMismatchError);
    expect((err as Error).message).toMatch(/is a raw image but the policy declares format qcow2; nothing was imported/);
    expect(await readdir(pool)).toEqual([]);
  });

  it("a qcow2 image declared raw fails too (no format confusion)", async () => {
    await expect(importIntoDir(req("small.qcow2", { format: "raw" }))).rejects.toThrow(
      /is a qcow2 image but the policy declares format raw/,
    );
    expect(await readdir(pool)).toEqual([]);
  });

  it("refuses an image larger than the declared capacity (a shrink would cut data)", async () => {
    await expect(importIntoDir(req("big.qcow2"))).rejects.toThrow(
      /virtual size of 1\.0 GiB .* declare a capacity of at least 1073741824 bytes/,
    );
    expect(await readdir(pool)).toEqual([]);
  });

  it("refuses an image that references a backing file on the host", async () => {
    await expect(importIntoDir(req("overlay.qcow2"))).rejects.toThrow(
      /references another file .*small\.qcow2.*must be self-contained/,
    );
    expect(await readdir(pool)).toEqual([]);
  });

  it("never overwrites an existing file of that name", async () => {
    await writeFile(join(pool, "vol"), "precious");
    await expect(importIntoDir(req("small.qcow2"))).rejects.toBeInstanceOf(VolumeFileExistsError);
    expect(await readFile(join(pool, "vol"), "utf8")).toBe("precious");
    expect(await readdir(pool)).toEqual(["vol"]);
  });

  it("replaces a stale partial left by an interrupted run", async () => {
    await writeFile(join(pool, ".vol.vf-partial"), "stale");
    await importIntoDir(req("small.raw"));
    expect(await readdir(pool)).toEqual(["vol"]);
  });

  it("an abort mid-download removes the partial file", async () => {
    const ac = new AbortController();
    const reason = new Error("stop");
    const progress = (e: ProgressEvent) => {
      if (e.bytes > 0) ac.abort(reason);
    };
    const p = importIntoDir(
      req("small.raw", {
        source: { url: server.url("/slow.raw"), sha256: images["small.raw"]!.sha256 },
        signal: ac.signal,
        progress,
      }),
    );
    await expect(p).rejects.toBe(reason);
    expect(await readdir(pool)).toEqual([]);
  });

  it("throttles download progress to about four a second", async () => {
    const events: ProgressEvent[] = [];
    const started = Date.now();
    await importIntoDir(
      req("small.raw", {
        source: { url: server.url("/slow.raw"), sha256: images["small.raw"]!.sha256 },
        progress: (e) => events.push(e),
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const downloads = events.filter((e) => e.phase === "download");
    expect(downloads.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 2);
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    expect(downloads.every((e, i) => i === 0 || e.bytes >= downloads[i - 1]!.bytes)).toBe(true);
    expect(downloads.at(-1)).toMatchObject({ bytes: 2 * MiB, total: 2 * MiB });
  });
});
