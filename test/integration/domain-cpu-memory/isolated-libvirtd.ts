/**
 * A libvirtd of its own for a test (shared notes "Isolated hosts on one machine"): a private
 * mount namespace with bind mounts over /run/libvirt, /etc/libvirt, /var/lib/libvirt and
 * /var/log/libvirt, plus a hugetlbfs mount. libvirt's QEMU driver finds hugetlbfs mounts only
 * when it starts, and this machine (no systemd) mounts none, so a guest backed by hugepages
 * needs a libvirtd started after the mount; the machine's own libvirtd and its mounts are not
 * touched. Its daemons are stopped by their own pid files.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface IsolatedLibvirtd {
  root: string;
  socket: string;
  /** virsh against it. */
  virsh(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startIsolatedLibvirtd(root: string): Promise<IsolatedLibvirtd> {
  for (const d of ["run", "etc", "lib", "log", "pid", "hugepages"]) mkdirSync(join(root, d), { recursive: true });
  // QEMU runs as libvirt-qemu: it must reach the hugetlbfs mount (a temp dir is 0700)
  for (const d of [dirname(root), root]) chmodSync(d, 0o755);
  const script = [
    "set -e",
    "cp /etc/libvirt/*.conf $R/etc/",
    "mount --bind $R/run /run/libvirt",
    "mount --bind $R/etc /etc/libvirt",
    "mount --bind $R/lib /var/lib/libvirt",
    "mount --bind $R/log /var/log/libvirt",
    "mount -t hugetlbfs -o pagesize=2M vft-hugetlbfs $R/hugepages",
    "virtlogd -d -p $R/pid/virtlogd.pid",
    "libvirtd -d -p $R/pid/libvirtd.pid",
  ].join("; ");
  await run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
    env: { ...process.env, R: root },
    timeout: 30_000,
  });
  const socket = join(root, "run", "libvirt-sock");
  const uri = `qemu:///system?socket=${socket}`;
  const virsh = async (...args: string[]) =>
    (await run("virsh", ["-q", "-c", uri, ...args], { timeout: 60_000 })).stdout;
  for (let i = 0; i < 100; i++) {
    if (
      existsSync(socket) &&
      (await virsh("version").then(
        () => true,
        () => false,
      ))
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    for (const d of (await virsh("list", "--name").catch(() => "")).split("\n").filter(Boolean))
      await virsh("destroy", d).catch(() => undefined);
    for (const name of ["libvirtd", "virtlogd"]) {
      const file = join(root, "pid", `${name}.pid`);
      if (!existsSync(file)) continue;
      const pid = Number(readFileSync(file, "utf8").trim());
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        continue;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  return { root, socket, virsh, stop };
}
