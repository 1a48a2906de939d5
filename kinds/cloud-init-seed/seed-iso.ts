/**
 * Seed ISO files on this host's filesystem.
 *
 * Building: user-data and meta-data (and network-config, vendor-data when the spec has them) are written into a fresh private temp dir and packed by
 * `xorriso -as mkisofs` (else `genisoimage`, same flags) with volume id `cidata`, Joliet and
 * Rock Ridge, into a file in a private (0700) temp folder next to the target; the tool runs via execFile (no
 * shell) with a timeout and the caller's abort signal. The temp file gets its final
 * permissions (protectSeed: 0640 root:QEMU's group, never world-readable) and is then renamed over
 * the target, so a reader (or a guest being started) sees the old seed or the new one,
 * never a partial one; a running QEMU keeps the old inode open. Temp files are removed on
 * every path.
 *
 * Reading: the seed is current when its volume id is `cidata` and the `meta-data` file in
 * its Joliet root holds exactly the expected bytes; meta-data carries the instance-id, a
 * hash of all content, so that comparison covers user-data too.
 */
import { execFile } from "node:child_process";
import { chmod, chown, mkdtemp, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { VirtfleetError } from "../../common/errors.js";
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
  // The ISO is packed inside a private (0700) folder next to the target (same filesystem, so
  // the final step is a rename): it is never readable by others, not even while it is written.
  let stage: string | undefined;
  try {
    stage = await mkdtemp(join(dirname(target), `.${basename(target)}.`)).catch((err: unknown) => {
      throw new VirtfleetError(
        "SEED_BUILD_FAILED",
        `cannot write the cloud-init seed in ${dirname(target)}: ${(err as Error).message}`,
        { cause: err },
      );
    });
    const partial = join(stage, "seed.iso");
    const files = seedFiles(seed);
    for (const [name, text] of files) await writeFile(join(work, name), text, { mode: 0o600 });
    await packIso(work, partial, [...files.keys()], o);
    await protectSeed(partial);
    await rename(partial, target);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (stage) await rm(stage, { recursive: true, force: true });
  }
}

/** Groups QEMU runs as under libvirt (Debian/Ubuntu, then Fedora/RHEL), in order of preference. */
const QEMU_GROUPS = ["libvirt-qemu", "qemu"];

/**
 * The seed holds password hashes, so it is not world-readable: mode 0640, owner root, group
 * the one QEMU runs as (found in /etc/group), so QEMU can read it whether or not libvirt's
 * dynamic ownership relabels it (by default libvirt chowns it to QEMU's user when the guest
 * starts). Without such a group, 0600: then only libvirt's relabelling lets QEMU read it.
 * When the agent cannot chown (not root), the file stays 0644 as before, which the
 * unprivileged QEMU of a session libvirt needs. The user-data itself only ever exists in
 * a 0700 temp dir (files 0600) until it is packed.
 */
export async function protectSeed(path: string): Promise<void> {
  const gid = await qemuGroupId();
  if (gid === null) {
    await chmod(path, 0o600);
    return;
  }
  try {
    await chown(path, 0, gid);
    await chmod(path, 0o640);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") throw err;
    await chmod(path, 0o644);
  }
}

let qemuGid: Promise<number | null> | undefined;

async function qemuGroupId(): Promise<number | null> {
  qemuGid ??= readFile("/etc/group", "utf8").then(
    (text) => {
      const gids = new Map(
        text
          .split("\n")
          .map((l) => l.split(":"))
          .filter((f) => f.length >= 3)
          .map((f) => [f[0]!, Number(f[2])]),
      );
      for (const g of QEMU_GROUPS) if (Number.isInteger(gids.get(g))) return gids.get(g)!;
      return null;
    },
    () => null,
  );
  return qemuGid;
}

/** The seed's files by name: user-data, meta-data, then network-config and vendor-data when present. */
export function seedFiles(seed: SeedContent): Map<string, string> {
  const files = new Map([
    ["user-data", seed.userData],
    ["meta-data", seed.metaData],
  ]);
  if (seed.networkConfig !== undefined) files.set("network-config", seed.networkConfig);
  if (seed.vendorData !== undefined) files.set("vendor-data", seed.vendorData);
  return files;
}

async function packIso(work: string, output: string, names: string[], o: SeedBuildOptions): Promise<void> {
  const flags = ["-output", output, "-volid", SEED_VOLUME_ID, "-joliet", "-rock", ...names];
  const tools = o.tools ?? SEED_ISO_TOOLS;
  const timeoutMs = o.timeoutMs ?? DEFAULT_SEED_BUILD_TIMEOUT_MS;
  for (const tool of tools) {
    try {
      await run(tool.command, [...tool.prefix, ...flags], {
        cwd: work,
        timeout: timeoutMs,
        signal: o.signal,
        maxBuffer: 1024 * 1024,
      });
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { killed?: boolean; stderr?: string };
      if (e.code === "ENOENT") continue;
      if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : err;
      if (e.killed)
        throw new VirtfleetError(
          "SEED_BUILD_TIMEOUT",
          `${tool.command} did not finish the cloud-init seed ${basename(output)} within ${timeoutMs} ms`,
          { cause: err },
        );
      const detail = (e.stderr ?? "")
        .trim()
        .split("\n")
        .filter((l) => /FAILURE|SORRY|error/i.test(l))
        .slice(-3)
        .join("; ");
      throw new VirtfleetError(
        "SEED_BUILD_FAILED",
        `${tool.command} could not build the cloud-init seed in ${dirname(output)}${detail ? `: ${detail}` : ""}`,
        { cause: err },
      );
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
