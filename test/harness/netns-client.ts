/**
 * A client on a libvirt network's bridge, for tests: a network namespace with one end of a
 * veth pair, the other end enslaved to the bridge (`ip link set X master BRIDGE`), as a guest's
 * tap would be. DHCP clients run in the namespace with their lease and pid files in a temp
 * folder (nothing of the host's is read or written: `-sf /bin/true` keeps dhclient's script
 * from configuring anything). Every process is ended by its own pid; `remove()` deletes the
 * namespace (which deletes the veth pair).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export class NetnsClient {
  private readonly dir = mkdtempSync(join(tmpdir(), "vft-nw-dhcp-"));
  private leases = 0;

  private constructor(
    readonly ns: string,
    readonly dev: string,
    readonly hostEnd: string,
  ) {}

  /** Namespace `ns` with veth `dev` (inside) / `hostEnd` (on `bridge`), MAC `mac`, up. */
  static async create(ns: string, dev: string, hostEnd: string, bridge: string, mac: string): Promise<NetnsClient> {
    const c = new NetnsClient(ns, dev, hostEnd);
    await run("ip", ["netns", "add", ns]);
    await run("ip", ["link", "add", hostEnd, "type", "veth", "peer", "name", dev]);
    await run("ip", ["link", "set", hostEnd, "master", bridge, "up"]);
    await run("ip", ["link", "set", dev, "netns", ns]);
    await c.setMac(mac);
    await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    return c;
  }

  async setMac(mac: string): Promise<void> {
    await run("ip", ["-n", this.ns, "link", "set", this.dev, "down"]);
    await run("ip", ["-n", this.ns, "link", "set", this.dev, "address", mac, "up"]);
    await this.linkLocalReady();
  }

  /** Waits until the link-local IPv6 address has passed duplicate address detection (DHCPv6 needs it). */
  private async linkLocalReady(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const { stdout } = await run("ip", ["-n", this.ns, "-6", "addr", "show", "dev", this.dev, "scope", "link"]);
      if (/inet6 fe80/.test(stdout) && !/tentative/.test(stdout)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no usable link-local address on ${this.dev} in ${this.ns}`);
  }

  /**
   * Runs `dhclient -6 -1 -D LL` (DUID-LL from the current MAC) or `dhclient -4 -1` once and
   * returns the address of the lease it got; throws when it got none within `timeoutMs`.
   */
  async lease(family: 4 | 6, timeoutMs = 30_000): Promise<string> {
    const n = this.leases++;
    const lf = join(this.dir, `lease${n}`);
    const pf = join(this.dir, `pid${n}`);
    const args = family === 6 ? ["-6", "-1", "-D", "LL"] : ["-4", "-1"];
    try {
      await run(
        "ip",
        ["netns", "exec", this.ns, "dhclient", ...args, "-lf", lf, "-pf", pf, "-sf", "/bin/true", this.dev],
        {
          timeout: timeoutMs,
        },
      );
    } finally {
      // dhclient forks into the background once bound: end that process by the pid it wrote.
      try {
        const pid = Number(readFileSync(pf, "utf8").trim());
        if (pid > 1) process.kill(pid, "SIGTERM");
      } catch {
        // no pid file: it did not get as far as forking
      }
    }
    const text = readFileSync(lf, "utf8");
    const m = family === 6 ? /iaaddr ([0-9a-f:]+) \{/.exec(text) : /fixed-address ([0-9.]+);/.exec(text);
    if (!m) throw new Error(`dhclient -${family} got no lease on ${this.dev}: ${text}`);
    return m[1]!;
  }

  async remove(): Promise<void> {
    await run("ip", ["netns", "del", this.ns]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The interface index of `dev` (changes when a network is restarted and its bridge re-created). */
export function ifindex(dev: string): number {
  return Number(readFileSync(`/sys/class/net/${dev}/ifindex`, "utf8").trim());
}
