import { basename, dirname, join } from "node:path";
import type { FilesystemFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { mapLimit, withTimeout } from "./limit.js";
import { parseProcMounts, type MountEntry } from "./parse/proc-mounts.js";

/** File-system types that never hold VM data: kernel interfaces, memory-backed, images, helpers. */
const PSEUDO_TYPES = new Set([
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "tmpfs",
  "ramfs",
  "cgroup",
  "cgroup2",
  "securityfs",
  "pstore",
  "efivarfs",
  "bpf",
  "debugfs",
  "tracefs",
  "configfs",
  "fusectl",
  "mqueue",
  "hugetlbfs",
  "autofs",
  "binfmt_misc",
  "rpc_pipefs",
  "nfsd",
  "nsfs",
  "selinuxfs",
  "squashfs",
  "iso9660",
  "overlay",
  "aufs",
  "fuse.lxcfs",
  "fuse.gvfsd-fuse",
  "fuse.portal",
  "fuse.snapfuse",
  "devfs",
  "usbfs",
  "sockfs",
  "pipefs",
]);

/**
 * True for mounts worth reporting: not a pseudo file system, except that overlay (and aufs)
 * mounted at `/` counts, being a container's root.
 */
export function isReportableMount(m: MountEntry): boolean {
  if (m.mountpoint === "/" && (m.type === "overlay" || m.type === "aufs")) return true;
  return !PSEUDO_TYPES.has(m.type);
}

/**
 * The mount that holds `path` (already canonical): the last-mounted entry with the longest
 * mountpoint that is `path` or an ancestor of it. Undefined when nothing matches.
 */
export function mountHolding(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountpoint;
    const under = mp === "/" || path === mp || path.startsWith(`${mp}/`);
    if (under && (best === undefined || mp.length >= best.mountpoint.length)) best = m;
  }
  return best;
}

/**
 * Statfs calls that have not settled yet, by mountpoint. A hung network file system pins a
 * libuv thread per call; a mountpoint with one pending call is not asked again until it
 * settles, so repeated collections cannot exhaust the thread pool.
 */
const pendingStatfs = new Map<string, Promise<unknown>>();

/**
 * File systems from /proc/mounts: reportable ones (one entry per device+type, first mount
 * wins, so bind mounts do not repeat), plus — whatever their type — the mounts holding
 * `watchedPaths` (default /var/lib/libvirt, /var/lib/libvirt/images), whose `holds` names
 * those paths. Sizes from statfs(2) with a timeout; a mount whose statfs fails is left out
 * and recorded under `filesystems`. Ordered by mountpoint.
 */
export async function collectFilesystems(ctx: Context): Promise<FilesystemFacts[]> {
  const mounts = parseProcMounts(await ctx.io.text(ctx.proc("mounts")));

  const holders = new Map<MountEntry, string[]>();
  for (const path of ctx.opts.watchedPaths) {
    const canonical = await canonicalExisting(ctx, path);
    const m = mountHolding(mounts, canonical);
    if (m === undefined) continue;
    holders.set(m, [...(holders.get(m) ?? []), path]);
  }

  const chosen: MountEntry[] = [];
  const seenDevice = new Set<string>();
  for (const m of mounts) {
    const holds = holders.has(m);
    if (!holds && !isReportableMount(m)) continue;
    const key = `${m.type}\0${m.device}`;
    if (!holds && seenDevice.has(key)) continue;
    seenDevice.add(key);
    chosen.push(m);
  }
  // Stacked mounts: only the last one mounted at a mountpoint is visible.
  const top = new Map<string, MountEntry>();
  for (const m of chosen) top.set(m.mountpoint, m);
  const visible = chosen.filter((m) => top.get(m.mountpoint) === m);

  const results = await mapLimit(visible, ctx.opts.concurrency, async (m): Promise<FilesystemFacts | null> => {
    try {
      const st = await statfsOnce(ctx, m.mountpoint);
      return {
        mountpoint: m.mountpoint,
        device: m.device,
        type: m.type,
        sizeBytes: st.blocks * st.bsize,
        freeBytes: st.bfree * st.bsize,
        availableBytes: st.bavail * st.bsize,
        holds: holders.get(m) ?? [],
      };
    } catch (err) {
      ctx.fail("filesystems", new Error(`statfs ${m.mountpoint}`, { cause: err }));
      return null;
    }
  });
  return results
    .filter((r): r is FilesystemFacts => r !== null)
    .sort((a, b) => (a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0));
}

function statfsOnce(
  ctx: Context,
  mountpoint: string,
): Promise<{ blocks: number; bfree: number; bavail: number; bsize: number }> {
  if (pendingStatfs.has(mountpoint)) {
    return Promise.reject(new Error("an earlier statfs call has not returned yet (hung network file system?)"));
  }
  const call = ctx.io.statfs(mountpoint);
  pendingStatfs.set(mountpoint, call);
  const clear = (): void => {
    if (pendingStatfs.get(mountpoint) === call) pendingStatfs.delete(mountpoint);
  };
  call.then(clear, clear);
  return withTimeout(call, ctx.opts.statfsTimeoutMs, `statfs ${mountpoint}`);
}

/** realpath of `path`, or of its nearest existing ancestor joined with the missing rest. */
async function canonicalExisting(ctx: Context, path: string): Promise<string> {
  const missing: string[] = [];
  let cur = path;
  for (;;) {
    try {
      const real = await ctx.io.realpath(cur);
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return path;
      missing.push(basename(cur));
      cur = parent;
    }
  }
}
