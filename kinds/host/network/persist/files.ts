import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FieldChange } from "../../../../common/changes.js";
import type { HostNetworkSpec } from "../spec.js";
import { isOurs } from "./header.js";
import { IFUPDOWN_PREFIX, renderIfupdown } from "./ifupdown.js";
import { NETWORKD_PREFIX, renderNetworkd } from "./networkd.js";

/**
 * Where the host's own, persistent network configuration goes: systemd-networkd's folder
 * (`/etc/systemd/network`) or ifupdown's (`/etc/network/interfaces.d`); `none` writes nothing
 * (the runtime state is converged, and lost at reboot — said in the resource's notes).
 */
export interface PersistTarget {
  style: "networkd" | "ifupdown" | "none";
  dir: string;
}

const prefixOf = (t: PersistTarget) => (t.style === "networkd" ? NETWORKD_PREFIX : IFUPDOWN_PREFIX);

/** The files (name → content) `spec` needs, for the interfaces in `created`. */
export function desiredFiles(
  t: PersistTarget,
  spec: HostNetworkSpec,
  created: ReadonlySet<string>,
): Map<string, string> {
  if (t.style === "networkd") return renderNetworkd(spec, created);
  if (t.style === "ifupdown") return renderIfupdown(spec, created);
  return new Map();
}

/** virtfleet's files in the folder (by name prefix), with their content; none when the folder is missing. */
export async function readOurFiles(t: PersistTarget): Promise<Map<string, string>> {
  if (t.style === "none") return new Map();
  let names: string[];
  try {
    names = await readdir(t.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw err;
  }
  const out = new Map<string, string>();
  for (const n of names.filter((x) => x.startsWith(prefixOf(t))).sort()) {
    if (n.includes(".tmp-")) continue;
    out.set(n, await readFile(join(t.dir, n), "utf8"));
  }
  return out;
}

/**
 * The interface names the files say virtfleet created (their header, ../ownership.ts): a
 * networkd `.netdev` or an ifupdown stanza file.
 */
export function persistedOwnership(t: PersistTarget, files: ReadonlyMap<string, string>): Map<string, "created"> {
  const out = new Map<string, "created">();
  for (const [file, content] of files) {
    if (!isOurs(content)) continue;
    if (t.style === "networkd" && file.endsWith(".netdev"))
      out.set(file.slice(NETWORKD_PREFIX.length, -".netdev".length), "created");
    if (t.style === "ifupdown")
      out.set(file.slice(IFUPDOWN_PREFIX.length).replace(/_2e/g, ".").replace(/_5f/g, "_"), "created");
  }
  return out;
}

export interface FileOp {
  file: string;
  /** null = remove. */
  content: string | null;
}

/** What makes the folder hold exactly `want` among virtfleet's files: changes and operations. */
export function diffFiles(
  t: PersistTarget,
  want: ReadonlyMap<string, string>,
  have: ReadonlyMap<string, string>,
): { changes: FieldChange[]; ops: FileOp[] } {
  const changes: FieldChange[] = [];
  const ops: FileOp[] = [];
  for (const [file, content] of want) {
    const now = have.get(file);
    if (now === content) continue;
    changes.push({
      field: `persistent.${join(t.dir, file)}`,
      from: now === undefined ? "missing" : "edited",
      to: "written",
      disruption: "live",
    });
    ops.push({ file, content });
  }
  for (const file of have.keys()) {
    if (want.has(file)) continue;
    changes.push({ field: `persistent.${join(t.dir, file)}`, from: "present", to: "removed", disruption: "live" });
    ops.push({ file, content: null });
  }
  return { changes, ops };
}

/** Writes (atomically: temporary file, then rename) and removes files. */
export async function applyFileOps(t: PersistTarget, ops: readonly FileOp[]): Promise<void> {
  if (ops.length === 0) return;
  await mkdir(t.dir, { recursive: true });
  for (const op of ops) {
    const path = join(t.dir, op.file);
    if (op.content === null) {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
      continue;
    }
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, op.content, { mode: 0o644 });
    await rename(tmp, path);
  }
}
