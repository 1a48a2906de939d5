import { OptionError } from "../../common/errors.js";
import type { LibvirtProbe } from "./libvirt-probe.js";

export const DEFAULT_LIBVIRT_SOCKET = "/var/run/libvirt/libvirt-sock";
export const DEFAULT_SYS_ROOT = "/sys";
export const DEFAULT_PROC_ROOT = "/proc";
export const DEFAULT_OS_RELEASE_PATHS = ["/etc/os-release", "/usr/lib/os-release"] as const;
export const DEFAULT_KVM_DEVICE = "/dev/kvm";
/** Paths whose file system is always reported and marked in `FilesystemFacts.holds`. */
export const DEFAULT_WATCHED_PATHS = ["/var/lib/libvirt", "/var/lib/libvirt/images"] as const;
export const DEFAULT_IP_COMMAND = "ip";
/** Upper bound of concurrent per-item reads (per interface, per disk, per CPU, per mount). */
export const DEFAULT_CONCURRENCY = 16;
/** Upper bound for one source (cpu, memory, …) before it is reported as failed. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;
export const DEFAULT_IP_TIMEOUT_MS = 5_000;
export const DEFAULT_STATFS_TIMEOUT_MS = 2_000;
export const DEFAULT_LIBVIRT_TIMEOUT_MS = 5_000;

export interface CollectFactsOptions {
  /** Reads libvirt's version and capabilities; default: connect test on `libvirtSocket` only. */
  libvirtProbe?: LibvirtProbe;
  /** Reported as `libvirt.socket`; the default probe connects to it. */
  libvirtSocket?: string;
  /** Where sysfs is mounted; a fixture tree in tests. */
  sysRoot?: string;
  /** Where procfs is mounted; a fixture tree in tests. */
  procRoot?: string;
  /** os-release candidates, first readable wins. */
  osReleasePaths?: readonly string[];
  kvmDevice?: string;
  /** Paths whose file system is always reported (any fs type) and named in `holds`. */
  watchedPaths?: readonly string[];
  /**
   * Where interface addresses and link kinds come from: `ip` runs `ip -j -d addr` (falls back
   * to `os` when it fails), `os` uses os.networkInterfaces(), `none` reports no addresses.
   */
  addressSource?: "ip" | "os" | "none";
  ipCommand?: string;
  concurrency?: number;
  sourceTimeoutMs?: number;
  ipTimeoutMs?: number;
  statfsTimeoutMs?: number;
  libvirtTimeoutMs?: number;
}

export interface ResolvedOptions {
  libvirtProbe: LibvirtProbe | null;
  libvirtSocket: string;
  sysRoot: string;
  procRoot: string;
  osReleasePaths: readonly string[];
  kvmDevice: string;
  watchedPaths: readonly string[];
  addressSource: "ip" | "os" | "none";
  ipCommand: string;
  concurrency: number;
  sourceTimeoutMs: number;
  ipTimeoutMs: number;
  statfsTimeoutMs: number;
  libvirtTimeoutMs: number;
}

/** Applies defaults and validates; throws OptionError naming the bad option. */
export function resolveOptions(o: CollectFactsOptions = {}): ResolvedOptions {
  const positive = (name: string, v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < 1) throw new OptionError(name, `must be a positive integer, got ${String(v)}`);
    return v;
  };
  const path = (name: string, v: string | undefined, dflt: string): string => {
    if (v === undefined) return dflt;
    if (typeof v !== "string" || !v.startsWith("/"))
      throw new OptionError(name, `must be an absolute path, got ${JSON.stringify(v)}`);
    return v.length > 1 ? v.replace(/\/+$/, "") : v;
  };
  const source = o.addressSource ?? "ip";
  if (source !== "ip" && source !== "os" && source !== "none") {
    throw new OptionError("addressSource", `must be "ip", "os" or "none", got ${JSON.stringify(source)}`);
  }
  if (o.libvirtProbe !== undefined && typeof o.libvirtProbe !== "function") {
    throw new OptionError("libvirtProbe", "must be a function returning a promise");
  }
  return {
    libvirtProbe: o.libvirtProbe ?? null,
    libvirtSocket: path("libvirtSocket", o.libvirtSocket, DEFAULT_LIBVIRT_SOCKET),
    sysRoot: path("sysRoot", o.sysRoot, DEFAULT_SYS_ROOT),
    procRoot: path("procRoot", o.procRoot, DEFAULT_PROC_ROOT),
    osReleasePaths: (o.osReleasePaths ?? DEFAULT_OS_RELEASE_PATHS).map((p, i) => path(`osReleasePaths[${i}]`, p, p)),
    kvmDevice: path("kvmDevice", o.kvmDevice, DEFAULT_KVM_DEVICE),
    watchedPaths: (o.watchedPaths ?? DEFAULT_WATCHED_PATHS).map((p, i) => path(`watchedPaths[${i}]`, p, p)),
    addressSource: source,
    ipCommand: o.ipCommand ?? DEFAULT_IP_COMMAND,
    concurrency: positive("concurrency", o.concurrency, DEFAULT_CONCURRENCY),
    sourceTimeoutMs: positive("sourceTimeoutMs", o.sourceTimeoutMs, DEFAULT_SOURCE_TIMEOUT_MS),
    ipTimeoutMs: positive("ipTimeoutMs", o.ipTimeoutMs, DEFAULT_IP_TIMEOUT_MS),
    statfsTimeoutMs: positive("statfsTimeoutMs", o.statfsTimeoutMs, DEFAULT_STATFS_TIMEOUT_MS),
    libvirtTimeoutMs: positive("libvirtTimeoutMs", o.libvirtTimeoutMs, DEFAULT_LIBVIRT_TIMEOUT_MS),
  };
}
