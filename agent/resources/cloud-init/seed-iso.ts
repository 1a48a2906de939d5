/**
 * Seed ISO files on this host's filesystem.
 *
 * Building: user-data and meta-data are written into a fresh private temp dir and packed by
 * `xorriso -as mkisofs` (else `genisoimage`, same flags) with volume id `cidata`, Joliet and
 * Rock Ridge, into a hidden temp file next to the target; the tool runs via execFile (no
 * shell) with a timeout and the caller's abort signal. The temp file is then renamed over
 * the target, so a reader (or a guest being started) sees the old seed or the new one,
 * never a partial one; a running QEMU keeps the old inode open. Temp files are removed on
 * every path.
 *
 * Reading: the seed is current when its volume id is `cidata` and the `meta-data` file in
 * its Joliet root holds exactly the expected bytes; meta-data carries the instance-id, a
 * hash of all content, so that comparison covers user-data too.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { VirtfleetError } from "../../../common/index.js";
import { fileReader, readIsoRootFile, readIsoSummary } from "./iso9660.js";
import type { SeedContent } from "./render.js";

const run = promisify(execFile);

export const SEED_VOLUME_ID = "cidata";
export const DEFAULT_SEED_BUILD_TIMEOUT_MS = 60_000;
/** meta-data larger than this is not one we wrote. */
const MAX_META_DATA_BYTES = 64 * 1024;

export interface IsoTool {
  command: string;
  /** Arguments before the mkisofs-style flags. */
  prefix: string[];
}

/** Tried in order; the first one installed builds the seed. */
export const SEED_ISO_TOOLS: readonly IsoTool[] = [
  { command: "xorriso", prefix: ["-as", "mkisofs"] },
  { command: "genisoimage", prefix: [] },
];

export interface SeedBuildOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  tools?: readonly IsoTool[];
}

/** Builds the seed ISO for `seed` and atomically puts it at `target` (absolute path). */
export async function writeSeedIso(target: string, seed: SeedContent, o: SeedBuildOptions = {}): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "virtfleet-seed-"));
  const partial = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.partial`);
  try {
    await writeFile(join(work, "user-data"), seed.userData, { mode: 0o600 });
    await writeFile(join(work, "meta-data"), seed.metaData, { mode: 0o600 });
    await packIso(work, partial, o);
    await chmod(partial, 0o644);
    await rename(partial, target);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}

async function packIso(work: string, output: string, o: SeedBuildOptions): Promise<void> {
  const flags = ["-output", output, "-volid", SEED_VOLUME_ID, "-joliet", "-rock", "user-data", "meta-data"];
  const tools = o.tools ?? SEED_ISO_TOOLS;
  const timeoutMs = o.timeoutMs ?? DEFAULT_SEED_BUILD_TIMEOUT_MS;
  for (const tool of tools) {
    try {
      await run(tool.command, [...tool.prefix, ...flags], { cwd: work, timeout: timeoutMs, signal: o.signal, maxBuffer: 1024 * 1024 });
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { killed?: boolean; stderr?: string };
      if (e.code === "ENOENT") continue;
      if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : err;
      if (e.killed) throw new VirtfleetError("SEED_BUILD_TIMEOUT", `${tool.command} did not finish the cloud-init seed ${basename(output)} within ${timeoutMs} ms`, { cause: err });
      const detail = (e.stderr ?? "").trim().split("\n").filter((l) => /FAILURE|SORRY|error/i.test(l)).slice(-3).join("; ");
      throw new VirtfleetError("SEED_BUILD_FAILED", `${tool.command} could not build the cloud-init seed in ${dirname(output)}${detail ? `: ${detail}` : ""}`, { cause: err });
    }
  }
  throw new VirtfleetError(
    "SEED_TOOL_MISSING",
    `cannot build cloud-init seed ISOs: neither ${tools.map((t) => t.command).join(" nor ")} is installed on this host (apt-get install xorriso)`,
  );
}

export type SeedFileState = { exists: false } | { exists: true; metaData: string | null };

/**
 * What is at `path`: nothing, or a file and its seed meta-data (null when the file is not a
 * cidata ISO with a readable meta-data file — such a file is replaced, as a stale seed).
 */
export async function readSeedFile(path: string): Promise<SeedFileState> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { exists: false };
    throw new VirtfleetError("SEED_UNREADABLE", `cannot read the cloud-init seed ${path}`, { cause: err });
  }
  try {
    const read = fileReader(fh);
    const summary = await readIsoSummary(read);
    if (summary?.volumeId.toLowerCase() !== SEED_VOLUME_ID) return { exists: true, metaData: null };
    const data = await readIsoRootFile(read, "meta-data", MAX_META_DATA_BYTES);
    return { exists: true, metaData: data === null ? null : data.toString("utf8") };
  } finally {
    await fh.close();
  }
}
