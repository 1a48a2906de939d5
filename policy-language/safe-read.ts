import type { FileHandle } from "node:fs/promises";
import { readlink, realpath } from "node:fs/promises";
import { sep } from "node:path";

/**
 * Where a file of the policies folder really is. A policy file may be a symbolic link only
 * to a file inside the folder (the Kubernetes ConfigMap layout: `x.yaml -> ..data/x.yaml`);
 * a link that leads anywhere else (`ln -s /etc/shadow policies/x.yaml`) is refused unread,
 * so no byte of the target reaches an error message, the log or the store.
 *
 * The check runs twice: on the path before it is opened (nothing outside is opened at all),
 * and on the open descriptor (`/proc/self/fd/N`), so swapping the link between the two
 * cannot slip another file in. Returns null when the file is inside `root`, "gone" when it
 * vanished meanwhile, else the refusal's message (which names neither the target nor its content).
 */
export async function outsideFolder(file: string, root: string, fh?: FileHandle): Promise<string | null | "gone"> {
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    return `cannot resolve the policies folder: ${(err as NodeJS.ErrnoException).code ?? "error"}`;
  }
  try {
    real = fh ? await descriptorPath(fh, file) : await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    return `cannot resolve the file's path: ${(err as NodeJS.ErrnoException).code ?? "error"}`;
  }
  if (real === "gone") return "gone";
  const inside = realRoot === sep ? real.startsWith(sep) : real.startsWith(realRoot + sep);
  if (inside) return null;
  return "a symbolic link that leads outside the policies folder; refused unread (a policy file, or the link's target, must be inside the folder)";
}

/** The path the kernel holds for an open file (Linux /proc), else the path resolved now. */
async function descriptorPath(fh: FileHandle, file: string): Promise<string> {
  let held: string;
  try {
    held = await readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    return realpath(file);
  }
  return held.endsWith(" (deleted)") ? "gone" : held;
}
