import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { downloadTo, SourceFetchError } from "../../../kinds/volume/import/index.js";
import { serveBytes, serveSlowly, startServer, type TestServer } from "./server.js";

const body = randomBytes(300_000);
const sha = createHash("sha256").update(body).digest("hex");
let server: TestServer;
let dir: string;
let n = 0;
const dest = () => join(dir, `out-${n++}`);
const never = new AbortController().signal;

beforeAll(async () => {
  server = await startServer();
  server.route("/img", serveBytes(body));
  server.route("/slow", serveSlowly(body, 20, 20));
  server.route("/stall", (_req, res) => res.writeHead(200, { "content-length": "10" }).write("abc"));
  server.route("/auth", (req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from("alice:s3cr:et").toString("base64")}`)
      return void res.writeHead(401).end();
    serveBytes(body)(req, res);
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vf-fetch-"));
  return () => rm(dir, { recursive: true, force: true });
});

describe("downloadTo", () => {
  it("streams over http, hashing and counting every byte", async () => {
    const seen: Array<[number, number | null]> = [];
    const out = dest();
    const got = await downloadTo(server.url("/img"), out, {
      signal: never,
      maxBytes: 1 << 20,
      onBytes: (b, t) => seen.push([b, t]),
    });
    expect(got).toEqual({ bytes: body.length, sha256: sha });
    expect(await readFile(out)).toEqual(body);
    expect(seen.at(-1)).toEqual([body.length, body.length]);
    expect(seen.every(([b], i) => i === 0 || b > seen[i - 1]![0])).toBe(true);
  });

  it("streams a file:// source", async () => {
    const src = join(dir, "src.bin");
    await writeFile(src, body);
    const got = await downloadTo(pathToFileURL(src).href, dest(), { signal: never, maxBytes: 1 << 20 });
    expect(got.sha256).toBe(sha);
  });

  it("counts a chunked body without a Content-Length (total unknown)", async () => {
    const totals = new Set<number | null>();
    const got = await downloadTo(server.url("/slow"), dest(), {
      signal: never,
      maxBytes: 1 << 20,
      onBytes: (_b, t) => totals.add(t),
    });
    expect(got.sha256).toBe(sha);
    expect([...totals]).toEqual([null]);
  });

  it("a missing file is a SourceFetchError naming the URL", async () => {
    const url = pathToFileURL(join(dir, "nope.qcow2")).href;
    const err = await downloadTo(url, dest(), { signal: never, maxBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFetchError);
    expect((err as Error).message).toBe(`${url}: no such file`);
  });

  it("a directory is not a source", async () => {
    const err = await downloadTo(pathToFileURL(dir).href, dest(), { signal: never, maxBytes: 1 << 20 }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/not a regular file/);
  });

  it("HTTP 404 names the URL and the status", async () => {
    const url = server.url("/missing.qcow2");
    const err = await downloadTo(url, dest(), { signal: never, maxBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFetchError);
    expect((err as Error).message).toContain(`${url}: HTTP 404 Not Found`);
  });

  it("connection refused names the URL", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/img`;
    const err = await downloadTo(url, dest(), { signal: never, maxBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFetchError);
    expect((err as Error).message).toMatch(new RegExp(`^${escapeRegExp(url)}: .*ECONNREFUSED`));
  });

  it("sends URL userinfo as Basic auth and never shows it", async () => {
    const authed = server.url("/auth").replace("http://", "http://alice:s3cr%3Aet@");
    expect((await downloadTo(authed, dest(), { signal: never, maxBytes: 1 << 20 })).sha256).toBe(sha);
    const wrong = server.url("/auth").replace("http://", "http://alice:hunter2@");
    const err = (await downloadTo(wrong, dest(), { signal: never, maxBytes: 1 << 20 }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toContain("http://***@127.0.0.1:");
    expect(err.message).toContain("HTTP 401");
    expect(`${err.message} ${String(err.cause)}`).not.toMatch(/alice|hunter2/);
  });

  it("refuses more than maxBytes, by Content-Length and while streaming", async () => {
    const byLength = await downloadTo(server.url("/img"), dest(), { signal: never, maxBytes: 1000 }).catch(
      (e: unknown) => e,
    );
    expect((byLength as Error).message).toMatch(/is larger than the 1000 B this volume can hold/);
    const streamed = await downloadTo(server.url("/slow"), dest(), { signal: never, maxBytes: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(streamed).toBeInstanceOf(SourceFetchError);
    expect((streamed as Error).message).toMatch(/more than 1000 B/);
  });

  it("fails a stalled transfer after the idle timeout", async () => {
    const started = Date.now();
    const err = await downloadTo(server.url("/stall"), dest(), {
      signal: never,
      maxBytes: 1000,
      idleTimeoutMs: 200,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFetchError);
    expect((err as Error).message).toMatch(/no data received for 200 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("aborting rejects with the signal's reason and stops the transfer", async () => {
    const ac = new AbortController();
    const reason = new Error("engine timeout");
    const p = downloadTo(server.url("/slow"), dest(), {
      signal: ac.signal,
      maxBytes: 1 << 20,
      onBytes: (b) => b > 50_000 && ac.abort(reason),
    });
    await expect(p).rejects.toBe(reason);
  });

  it("never overwrites an existing destination", async () => {
    const out = dest();
    await writeFile(out, "keep");
    await expect(downloadTo(server.url("/img"), out, { signal: never, maxBytes: 1 << 20 })).rejects.toThrow(/EEXIST/);
    expect(await readFile(out, "utf8")).toBe("keep");
    expect(await readdir(dir)).toEqual([out.split("/").at(-1)]);
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
