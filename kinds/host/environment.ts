import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * What the host resource reads and changes on the machine, behind one seam so unit tests can
 * point it at a fixture tree. Paths are the real ones by default.
 */
export interface HostEnvironment {
  procRoot: string;
  sysRoot: string;
  kvmDevice: string;
  /** Loads a kernel module; rejects with the tool's message. */
  modprobe(name: string): Promise<void>;
}

export const REAL_HOST: HostEnvironment = {
  procRoot: "/proc",
  sysRoot: "/sys",
  kvmDevice: "/dev/kvm",
  modprobe: async (name) => {
    await run("modprobe", ["--", name], { timeout: 30_000 });
  },
};

/** A module counts as loaded when /sys/module/NAME exists (covers built-in modules too). */
export async function moduleLoaded(env: HostEnvironment, name: string): Promise<boolean> {
  try {
    await access(join(env.sysRoot, "module", name.replace(/-/g, "_")), constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** `net.ipv4.ip_forward` → PROC/sys/net/ipv4/ip_forward. The key is validated by the caller. */
export function sysctlPath(env: HostEnvironment, key: string): string {
  return join(env.procRoot, "sys", ...key.split("."));
}

export async function readSysctl(env: HostEnvironment, key: string): Promise<string | null> {
  try {
    return normaliseSysctl(await readFile(sysctlPath(env, key), "utf8"));
  } catch {
    return null;
  }
}

export async function writeSysctl(env: HostEnvironment, key: string, value: string): Promise<void> {
  await writeFile(sysctlPath(env, key), value);
}

/** sysctl files may hold tab-separated vectors; compare them with single spaces. */
export function normaliseSysctl(text: string): string {
  return text.trim().split(/\s+/).join(" ");
}

export async function kvmUsable(env: HostEnvironment): Promise<boolean> {
  try {
    const fh = await open(env.kvmDevice, "r+");
    await fh.close();
    return true;
  } catch {
    return false;
  }
}

export async function readProcFile(env: HostEnvironment, name: string): Promise<string> {
  return readFile(join(env.procRoot, name), "utf8");
}
