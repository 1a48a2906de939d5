import type {
  CloudInitSpec,
  DomainSpec,
  HostPrereqSpec,
  NetworkSpec,
  PoolSpec,
  VolumeSpec,
} from "./resolved-policy.js";
import {
  checkAbsolutePath,
  controlCharProblem,
  matchesPattern,
  PATTERN_HELP,
  type PatternName,
} from "../policy-language/primitives/names.js";

/**
 * The value rules of the policy loader, re-applied to one RESOLVED resource spec (after
 * templating, as a bundle carries it). The loader already enforced them; the agent runs
 * this again when it builds a resource, so a bundle that did not come through the loader
 * (a bug, a corrupt cache, a hostile peer) still cannot name a file outside its pool, put
 * markup into libvirt XML or an option into a command line. Returns every problem as
 * `field: message` (empty when the spec is fine). Values are not quoted back, except
 * through JSON (so a hostile value cannot forge a message).
 */
export type ResolvedKind = "network" | "pool" | "volume" | "domain" | "host";

export function resolvedSpecProblems(kind: "network", spec: NetworkSpec): string[];
export function resolvedSpecProblems(kind: "pool", spec: PoolSpec): string[];
export function resolvedSpecProblems(kind: "volume", spec: VolumeSpec): string[];
export function resolvedSpecProblems(kind: "domain", spec: DomainSpec): string[];
export function resolvedSpecProblems(kind: "host", spec: HostPrereqSpec): string[];
export function resolvedSpecProblems(kind: ResolvedKind, spec: unknown): string[] {
  const c = new SpecChecker();
  c.strings(spec, "");
  switch (kind) {
    case "network":
      c.network(spec as NetworkSpec);
      break;
    case "pool":
      c.pool(spec as PoolSpec);
      break;
    case "volume":
      c.volume(spec as VolumeSpec);
      break;
    case "domain":
      c.domain(spec as DomainSpec);
      break;
    case "host":
      c.host(spec as HostPrereqSpec);
      break;
  }
  return c.problems;
}

class SpecChecker {
  readonly problems: string[] = [];

  private add(field: string, message: string): void {
    if (!this.problems.some((p) => p.startsWith(`${field}: `))) this.problems.push(`${field}: ${message}`);
  }

  /** Every string (and key) anywhere in the spec: no control characters. */
  strings(v: unknown, field: string): void {
    if (typeof v === "string") {
      const bad = controlCharProblem(v);
      if (bad) this.add(field || "value", bad);
    } else if (Array.isArray(v)) v.forEach((x, i) => this.strings(x, `${field}[${i}]`));
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const bad = controlCharProblem(k);
        if (bad) this.add(field || "key", `in a key: ${bad}`);
        else this.strings(x, field ? `${field}.${k}` : k);
      }
    }
  }

  private format(v: unknown, field: string, pattern: PatternName, optional = false): void {
    if (optional && (v === null || v === undefined)) return;
    if (typeof v !== "string" || !matchesPattern(pattern, v))
      this.add(field, `invalid value ${clip(v)}: ${PATTERN_HELP[pattern]}`);
  }

  private path(v: unknown, field: string): void {
    const problem = typeof v === "string" ? checkAbsolutePath(v) : "must be a string";
    if (problem) this.add(field, problem);
  }

  network(n: NetworkSpec): void {
    this.format(n.name, "name", "resourceName");
    this.format(n.bridge, "bridge", "bridgeName", true);
    if (n.ipv4) {
      this.format(n.ipv4.address, "ipv4.address", "ipv4");
      const d = n.ipv4.dhcp;
      if (d) {
        this.format(d.start, "ipv4.dhcp.start", "ipv4");
        this.format(d.end, "ipv4.dhcp.end", "ipv4");
        (d.hosts ?? []).forEach((h, i) => {
          this.format(h.mac, `ipv4.dhcp.hosts[${i}].mac`, "mac");
          this.format(h.ip, `ipv4.dhcp.hosts[${i}].ip`, "ipv4");
          this.format(h.name, `ipv4.dhcp.hosts[${i}].name`, "hostname", true);
        });
      }
    }
  }

  pool(p: PoolSpec): void {
    this.format(p.name, "name", "resourceName");
    this.path(p.path, "path");
  }

  volume(v: VolumeSpec): void {
    this.format(v.name, "name", "volumeName");
    this.format(v.pool, "pool", "resourceName");
    this.format(v.backingVolume, "backingVolume", "volumeName", true);
    if (v.source) {
      this.format(v.source.url, "source.url", "url");
      this.format(v.source.sha256, "source.sha256", "sha256");
      if (typeof v.source.url === "string" && v.source.url.startsWith("file:")) {
        let pathname = "";
        try {
          pathname = decodeURIComponent(new URL(v.source.url).pathname);
        } catch {
          this.add("source.url", "is not a valid URL");
        }
        if (pathname && checkAbsolutePath(pathname) !== null)
          this.add("source.url", `a file URL names an absolute, normalised path (${checkAbsolutePath(pathname)})`);
      }
    }
  }

  domain(d: DomainSpec): void {
    this.format(d.name, "name", "resourceName");
    this.format(d.machine, "machine", "machine", true);
    (d.disks ?? []).forEach((x, i) => {
      this.format(x.pool, `disks[${i}].pool`, "resourceName");
      this.format(x.volume, `disks[${i}].volume`, "volumeName");
    });
    (d.cdroms ?? []).forEach((c, i) => {
      if ("path" in c) {
        this.path(c.path, `cdroms[${i}].path`);
        if (typeof c.path === "string" && !c.path.endsWith(".iso"))
          this.add(`cdroms[${i}].path`, "a cdrom path must end in .iso");
      } else {
        this.format(c.pool, `cdroms[${i}].pool`, "resourceName");
        this.format(c.volume, `cdroms[${i}].volume`, "volumeName");
      }
    });
    (d.interfaces ?? []).forEach((n, i) => {
      this.format(n.network, `interfaces[${i}].network`, "resourceName");
      this.format(n.mac, `interfaces[${i}].mac`, "mac");
    });
    if (d.cloudInit) this.cloudInit(d.cloudInit);
  }

  private cloudInit(ci: CloudInitSpec): void {
    this.format(ci.hostname, "cloudInit.hostname", "hostname", true);
    (ci.packages ?? []).forEach((p, i) => this.format(p, `cloudInit.packages[${i}]`, "packageName"));
    (ci.users ?? []).forEach((u, i) => {
      const at = `cloudInit.users[${i}]`;
      this.format(u.name, `${at}.name`, "userName");
      (u.groups ?? []).forEach((g, j) => this.format(g, `${at}.groups[${j}]`, "userName"));
      if (
        u.passwordHash !== null &&
        (typeof u.passwordHash !== "string" || !matchesPattern("passwordHash", u.passwordHash))
      ) {
        this.add(`${at}.passwordHash`, `invalid value (not shown): ${PATTERN_HELP.passwordHash}`);
      }
      (u.sshAuthorizedKeys ?? []).forEach((k, j) => this.format(k, `${at}.sshAuthorizedKeys[${j}]`, "sshKey"));
      if (u.sudo !== null && (typeof u.sudo !== "string" || u.sudo.length > 256))
        this.add(`${at}.sudo`, "must be a string of at most 256 characters");
    });
  }

  host(h: HostPrereqSpec): void {
    (h.kernelModules ?? []).forEach((m, i) => this.format(m, `kernelModules[${i}]`, "kernelModule"));
    for (const k of Object.keys(h.sysctl ?? {})) this.format(k, `sysctl[${JSON.stringify(k)}]`, "sysctlKey");
  }
}

function clip(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
