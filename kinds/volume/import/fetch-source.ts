/**
 * Streams a `file://` or `http(s)://` source into a new file, hashing (sha256) and counting
 * while it streams. Contract:
 * - `dest` is created exclusively (it must not exist); on failure it may be left partly written,
 *   and removing it is the caller's job;
 * - more than `maxBytes` (or a Content-Length / file size above it) fails, so a wrong URL
 *   cannot fill the disk; no byte for `idleTimeoutMs` (connecting included) fails;
 * - aborting `signal` stops the transfer and rejects with the signal's reason;
 * - errors are SourceFetchError naming the redacted URL; userinfo in an http(s) URL is sent
 *   as HTTP Basic authorization, never shown;
 * - the data is written but not fsynced (the caller syncs once it decides to keep it).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import { describeError, VirtfleetError } from "../../../common/errors.js";
import { formatBytes } from "../../../common/units.js";
import { SourceFetchError } from "./errors.js";
import { redactUrl } from "./redact.js";

export const DEFAULT_IMPORT_IDLE_TIMEOUT_MS = 30_000;

export interface DownloadOptions {
  signal: AbortSignal;
  maxBytes: number;
  idleTimeoutMs?: number;
  /** Called after every chunk with the bytes so far and the expected total (null = unknown). */
  onBytes?: (bytes: number, total: number | null) => void;
}

export interface Downloaded {
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

interface OpenedSource {
  stream: Readable;
  total: number | null;
}

export async function downloadTo(url: string, dest: string, o: DownloadOptions): Promise<Downloaded> {
  const shown = redactUrl(url);
  const idleMs = o.idleTimeoutMs ?? DEFAULT_IMPORT_IDLE_TIMEOUT_MS;
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => idle.abort(new SourceFetchError(`${shown}: no data received for ${idleMs} ms; is the server reachable?`)),
      idleMs,
    );
  };
  const signal = AbortSignal.any([o.signal, idle.signal]);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    arm();
    const { stream, total } = await openSource(url, shown, o.maxBytes, signal);
    await pipeline(
      stream,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          if (bytes > o.maxBytes) throw tooLarge(shown, `more than ${formatBytes(o.maxBytes)}`, o.maxBytes);
          arm();
          hash.update(chunk);
          o.onBytes?.(bytes, total);
          yield chunk;
        }
      },
      createWriteStream(dest, { flags: "wx", mode: 0o600 }),
      { signal },
    );
    if (total !== null && bytes !== total)
      throw new SourceFetchError(
        `${shown}: expected ${total} bytes, got ${bytes} (the source changed or the transfer was cut)`,
      );
    return { bytes, sha256: hash.digest("hex") };
  } catch (err) {
    if (o.signal.aborted)
      throw o.signal.reason instanceof Error ? o.signal.reason : new Error("aborted", { cause: o.signal.reason });
    if (idle.signal.aborted) throw idle.signal.reason;
    if (err instanceof VirtfleetError) throw err;
    throw new SourceFetchError(`${shown}: ${describeError(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

async function openSource(url: string, shown: string, maxBytes: number, signal: AbortSignal): Promise<OpenedSource> {
  const u = new URL(url);
  if (u.protocol === "file:") return openFile(u, shown, maxBytes, signal);
  if (u.protocol === "http:" || u.protocol === "https:") return openHttp(u, shown, maxBytes, signal);
  throw new SourceFetchError(`${shown}: unsupported scheme ${u.protocol} (file, http, https)`);
}

async function openFile(u: URL, shown: string, maxBytes: number, signal: AbortSignal): Promise<OpenedSource> {
  let path: string;
  try {
    path = fileURLToPath(u);
  } catch (err) {
    throw new SourceFetchError(`${shown}: not a local file URL (${describeError(err)})`, { cause: err });
  }
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new SourceFetchError(`${shown}: no such file`);
    throw new SourceFetchError(`${shown}: ${err.message}`, { cause: err });
  });
  if (!st.isFile()) throw new SourceFetchError(`${shown}: not a regular file`);
  if (st.size > maxBytes) throw tooLarge(shown, formatBytes(st.size), maxBytes);
  return { stream: createReadStream(path, { signal }), total: st.size };
}

async function openHttp(u: URL, shown: string, maxBytes: number, signal: AbortSignal): Promise<OpenedSource> {
  // identity: Content-Length must count the bytes we hash, not a compressed body.
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (u.username !== "" || u.password !== "") {
    const basic = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
    u.username = "";
    u.password = "";
  }
  const res = await fetch(u, { headers, signal, redirect: "follow" });
  if (!res.ok || res.body === null) {
    await res.body?.cancel().catch(() => undefined);
    throw new SourceFetchError(
      `${shown}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}; check the URL and that the server serves it`,
    );
  }
  const length = res.headers.get("content-length");
  const encoded = (res.headers.get("content-encoding") ?? "identity") !== "identity";
  const total = length !== null && /^\d+$/.test(length) && !encoded ? Number(length) : null;
  if (total !== null && total > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw tooLarge(shown, formatBytes(total), maxBytes);
  }
  return { stream: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), total };
}

function tooLarge(shown: string, size: string, maxBytes: number): SourceFetchError {
  return new SourceFetchError(
    `${shown}: ${size} is larger than the ${formatBytes(maxBytes)} this volume can hold; check the URL or raise the volume's capacity`,
  );
}
