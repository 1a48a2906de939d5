/**
 * What `qemu-img info` (format probing, no backing chain opened) says about a disk image
 * file. Used on an untrusted, just-downloaded file before it becomes a volume.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describeError } from "../../../common/errors.js";
import { ImageMismatchError } from "./errors.js";

const run = promisify(execFile);

export const QEMU_IMG_TIMEOUT_MS = 60_000;

export interface ImageInfo {
  /** As qemu-img probes it: "qcow2", "raw", "vmdk", … */
  format: string;
  virtualSize: number;
  /** A backing file the image header names (an imported image must not reference host files). */
  backingFile: string | null;
  /** A qcow2 external data file the header names. */
  dataFile: string | null;
}

/** `path` must be absolute (so qemu-img never reads it as `protocol:…`). */
export async function imageInfo(path: string, signal?: AbortSignal): Promise<ImageInfo> {
  let stdout: string;
  try {
    ({ stdout } = await run("qemu-img", ["info", "--output=json", path], {
      timeout: QEMU_IMG_TIMEOUT_MS,
      signal,
      maxBuffer: 4 << 20,
    }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new ImageMismatchError(`qemu-img info ${path} failed: ${stderr || describeError(err)}`, { cause: err });
  }
  return parseImageInfo(stdout, path);
}

export function parseImageInfo(json: string, path: string): ImageInfo {
  const j = JSON.parse(json) as Record<string, unknown>;
  const format = j.format;
  const size = j["virtual-size"];
  if (typeof format !== "string" || typeof size !== "number") {
    throw new ImageMismatchError(`qemu-img info ${path}: no format or virtual-size in its output`);
  }
  const specific = (j["format-specific"] as { data?: Record<string, unknown> } | undefined)?.data;
  const dataFile = specific?.["data-file"];
  return {
    format,
    virtualSize: size,
    backingFile: typeof j["backing-filename"] === "string" ? j["backing-filename"] : null,
    dataFile: typeof dataFile === "string" ? dataFile : null,
  };
}
