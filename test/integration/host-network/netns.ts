import { execFileSync, spawn, type ChildProcess } from "node:child_process";

/**
 * Network namespaces for the host-networking tests: every namespace is `vfhn-…` and removed
 * by `cleanup()` (its interfaces go with it). `ip` runs with argv arrays only.
 */
export class TestNamespaces {
  private readonly names: string[] = [];
  private readonly procs: ChildProcess[] = [];

  constructor(private readonly tag: string) {}

  create(suffix: string): string {
    const name = `vfhn-${this.tag}-${process.pid}-${suffix}`;
    execFileSync("ip", ["netns", "add", name]);
    this.names.push(name);
    ip(name, "link", "set", "lo", "up");
    return name;
  }

  /** A long-running process inside `ns` (stopped by cleanup, by its pid). */
  spawnIn(ns: string, argv: string[]): ChildProcess {
    const p = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: "ignore" });
    this.procs.push(p);
    return p;
  }

  cleanup(): void {
    for (const p of this.procs.splice(0)) if (p.exitCode === null && p.pid) process.kill(p.pid, "SIGTERM");
    for (const n of this.names.splice(0)) {
      try {
        execFileSync("ip", ["netns", "del", n]);
      } catch {
        // already gone
      }
    }
  }
}

/** `ip -n NS ARGV…`, stdout. */
export function ip(ns: string, ...argv: string[]): string {
  return execFileSync("ip", ["-n", ns, ...argv], { encoding: "utf8" });
}

/** The oracle: what `ip -json -details link show` says of `dev` (read here, not through the code under test). */
export function linkOf(ns: string, dev: string): Record<string, any> | null {
  const all = JSON.parse(ip(ns, "-json", "-details", "link", "show")) as Record<string, any>[];
  return all.find((l) => l.ifname === dev) ?? null;
}

/** Whether this kernel can create an interface of `type` (probed in a throwaway namespace). */
export function kernelSupports(type: "bond" | "vlan"): boolean {
  const ns = `vfhn-probe-${process.pid}-${type}`;
  try {
    execFileSync("ip", ["netns", "add", ns]);
    if (type === "bond") execFileSync("ip", ["-n", ns, "link", "add", "p0", "type", "bond"], { stdio: "ignore" });
    else {
      execFileSync("ip", ["-n", ns, "link", "add", "p0", "type", "veth", "peer", "name", "p1"], { stdio: "ignore" });
      execFileSync("ip", ["-n", ns, "link", "add", "link", "p0", "name", "p0.20", "type", "vlan", "id", "20"], {
        stdio: "ignore",
      });
    }
    return true;
  } catch {
    return false;
  } finally {
    try {
      execFileSync("ip", ["netns", "del", ns]);
    } catch {
      // not created
    }
  }
}
