/**
 * Imports a verified image into a directory (a dir pool's target path) under `name`.
 * Contract:
 * - the download goes to `.<name>.vf-partial` in the same directory (same filesystem, so the
 *   final step is a link, not a copy); a stale partial from an interrupted run is replaced;
 * - `<dir>/<name>` appears only after the sha256 matched, qemu-img confirmed the declared
 *   format, no backing or external data file, and a virtual size within `maxVirtualSize`,
 *   and after the data was fsynced; an existing `<dir>/<name>` is never overwritten;
 * - on any failure or abort the partial file is removed and nothing new is left in `dir`;
 * - progress: throttled `download` events while streaming, then one `verify` event.
 */
import { link, open, rename, rm, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { formatBytes } from "../../../common/units.js";
import { ValidationError, VirtfleetError } from "../../../common/errors.js";
import { ChecksumMismatchError, ImageMismatchError } from "./errors.js";
import { downloadTo } from "./fetch-source.js";
import { imageInfo } from "./image-info.js";
import { throttledProgress, type ProgressReporter } from "../../progress.js";
import { redactUrl } from "./redact.js";

export interface DirImportRequest {
  dir: string;
  name: string;
  source: { url: string; sha256: string };
  format: "qcow2" | "raw";
  /** Largest acceptable virtual size (a larger image would need a destructive shrink). */
  maxVirtualSize: number;
  /** Largest acceptable file. */
  maxBytes: number;
  signal: AbortSignal;
  idleTimeoutMs?: number;
  /** Resource id the progress events carry. */
  resource: string;
  progress?: ProgressReporter;
}

export interface DirImportResult {
  path: string;
  bytes: number;
  virtualSize: number;
}

export class VolumeFileExistsError extends VirtfleetError {
  constructor(readonly path: string) {
    super(
      "VOLUME_FILE_EXISTS",
      `${path} already exists but libvirt does not list it as a volume; refresh the pool, or move the file away to import again`,
    );
  }
}

export function partialPath(dir: string, name: string): string {
  return join(dir, `.${name}.vf-partial`);
}

export async function importIntoDir(r: DirImportRequest): Promise<DirImportResult> {
  const where = `volume ${r.resource}`;
  if (!isAbsolute(r.dir))
    throw new ValidationError(`${where}: pool directory ${JSON.stringify(r.dir)} is not absolute`);
  if (r.name === "" || r.name === "." || r.name === ".." || r.name.includes("/") || r.name.includes("\0")) {
    throw new ValidationError(`${where}: name must be a plain file name`);
  }
  const shown = redactUrl(r.source.url);
  const finalPath = join(r.dir, r.name);
  const partial = partialPath(r.dir, r.name);
  if (await exists(finalPath)) throw new VolumeFileExistsError(finalPath);
  await rm(partial, { force: true });
  try {
    const download = throttledProgress(r.progress, { resource: r.resource, phase: "download", total: null });
    const got = await downloadTo(r.source.url, partial, {
      signal: r.signal,
      maxBytes: r.maxBytes,
      idleTimeoutMs: r.idleTimeoutMs,
      onBytes: (bytes, total) => download.update(bytes, total),
    });
    download.finish(got.bytes, got.bytes);

    const expected = r.source.sha256.toLowerCase();
    if (got.sha256 !== expected) {
      throw new ChecksumMismatchError(
        `${where}: sha256 of ${shown} is ${got.sha256}, the policy expects ${expected}; nothing was imported (fix the URL or the checksum)`,
        expected,
        got.sha256,
      );
    }
    throttledProgress(r.progress, { resource: r.resource, phase: "verify", total: got.bytes }).finish(got.bytes);
    const info = await imageInfo(partial, r.signal);
    if (info.format !== r.format) {
      throw new ImageMismatchError(
        `${where}: ${shown} is a ${info.format} image but the policy declares format ${r.format}; nothing was imported`,
      );
    }
    if (info.backingFile !== null || info.dataFile !== null) {
      throw new ImageMismatchError(
        `${where}: ${shown} references another file (${info.backingFile ?? info.dataFile}); an imported image must be self-contained (qemu-img convert it first)`,
      );
    }
    if (info.virtualSize > r.maxVirtualSize) {
      throw new ImageMismatchError(
        `${where}: ${shown} has a virtual size of ${formatBytes(info.virtualSize)} (${info.virtualSize} bytes), more than the declared capacity ` +
          `${formatBytes(r.maxVirtualSize)}; shrinking would cut its data, so declare a capacity of at least ${info.virtualSize} bytes`,
      );
    }
    if (r.signal.aborted) throw r.signal.reason;
    await fsync(partial);
    await publish(partial, finalPath);
    await fsync(r.dir);
    return { path: finalPath, bytes: got.bytes, virtualSize: info.virtualSize };
  } finally {
    await rm(partial, { force: true });
  }
}

/** Gives `partial` its final name without ever replacing an existing file. */
async function publish(partial: string, finalPath: string): Promise<void> {
  try {
    await link(partial, finalPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new VolumeFileExistsError(finalPath);
    // No hard links on this filesystem: check, then rename (a narrow race, but no worse).
    if (await exists(finalPath)) throw new VolumeFileExistsError(finalPath);
    await rename(partial, finalPath);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
}

async function fsync(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
