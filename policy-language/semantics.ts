import { shownValue } from "../common/redact.js";
import { parseSize } from "../common/units.js";
import { formatPath, type IssueList, type PathSegment } from "./primitives/issues.js";
import {
  checkAbsolutePath,
  controlCharProblem,
  intToIpv4,
  ipv4ToInt,
  matchesPattern,
  PATTERN_HELP,
  subnetRange,
  type PatternName,
} from "./primitives/names.js";
import type { DomainDocument, NetworkDocument, PolicyDocument, VolumeDocument } from "./schema.js";
import { hasTemplate, parseTemplate } from "./primitives/template.js";

/**
 * Checks a schema-valid policy beyond the schema: value formats, IPv4 subnet arithmetic,
 * duplicates, and references inside the policy. With `deferTemplates`, strings holding a
 * template are only checked for template syntax (their values are checked per host, after
 * templating, by running this again with `deferTemplates: false`).
 *
 * References (interface → network, disk/cdrom/volume → pool and volume) may name
 * resources of the same policy, of another policy, or objects that already exist on the
 * host (e.g. libvirt's `default` network, a base image); only a reference to something
 * this same policy declares `absent` is an error here.
 */
export function checkPolicySemantics(
  doc: PolicyDocument,
  issues: IssueList,
  options: { deferTemplates: boolean },
): void {
  const c = new Checker(issues, options.deferTemplates);
  if (options.deferTemplates) {
    c.noTemplatesOutsideResources(doc);
    c.templateSyntax(doc.spec.resources, ["spec", "resources"]);
  }
  c.noControlChars(doc.spec.resources, ["spec", "resources"]);
  c.policy(doc);
}

const R = ["spec", "resources"] as const;

class Checker {
  constructor(
    private readonly issues: IssueList,
    private readonly defer: boolean,
  ) {}

  /** The string value, or undefined when absent or (while deferring) templated. */
  private concrete(v: unknown): string | undefined {
    if (typeof v !== "string") return undefined;
    return this.defer && hasTemplate(v) ? undefined : v;
  }

  private format(v: unknown, path: PathSegment[], pattern: PatternName): string | undefined {
    const s = this.concrete(v);
    if (s === undefined) return undefined;
    if (!matchesPattern(pattern, s)) {
      const shown = JSON.stringify(shownValue(formatPath(path), s));
      this.issues.add(
        path,
        `invalid value ${shown.length > 100 ? `${shown.slice(0, 100)}…` : shown}: ${PATTERN_HELP[pattern]}`,
      );
      return undefined;
    }
    return s;
  }

  private size(v: unknown, path: PathSegment[]): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v === "string" && this.concrete(v) === undefined) return undefined;
    try {
      return parseSize(v as string | number);
    } catch (err) {
      this.issues.add(path, (err as Error).message);
      return undefined;
    }
  }

  noTemplatesOutsideResources(doc: PolicyDocument): void {
    const { resources: _r, ...rest } = doc.spec;
    const walk = (v: unknown, path: PathSegment[]) => {
      if (typeof v === "string" && hasTemplate(v))
        this.issues.add(path, "templates are only expanded under spec.resources (write $${ for a literal ${)");
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc.metadata, ["metadata"]);
    walk(rest, ["spec"]);
  }

  templateSyntax(v: unknown, path: PathSegment[]): void {
    if (typeof v === "string") {
      try {
        parseTemplate(v);
      } catch (err) {
        this.issues.add(path, (err as Error).message);
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => this.templateSyntax(x, [...path, i]));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) this.templateSyntax(x, [...path, k]);
  }

  noControlChars(v: unknown, path: PathSegment[]): void {
    if (typeof v === "string") {
      const bad = controlCharProblem(v);
      if (bad) this.issues.add(path, bad);
    } else if (Array.isArray(v)) v.forEach((x, i) => this.noControlChars(x, [...path, i]));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const bad = controlCharProblem(k);
        if (bad) this.issues.add([...path, k], `in a key: ${bad}`, "key");
        else this.noControlChars(x, [...path, k]);
      }
    }
  }

  policy(doc: PolicyDocument): void {
    const res = doc.spec.resources;
    if (res.host?.minFreeMemory !== undefined) this.size(res.host.minFreeMemory, [...R, "host", "minFreeMemory"]);
    const absentNetworks = new Set<string>();
    const absentPools = new Set<string>();
    const absentVolumes = new Set<string>();

    const seenNetworks = new Map<string, number>();
    (res.networks ?? []).forEach((n, i) => {
      const name = this.format(n.name, [...R, "networks", i, "name"], "resourceName");
      if (name !== undefined) {
        this.unique(
          seenNetworks,
          name,
          [...R, "networks", i, "name"],
          `network "${name}" is declared twice in this policy (first at networks[${seenNetworks.get(name)}])`,
          i,
        );
        if (n.state === "absent") absentNetworks.add(name);
      }
      this.network(n, [...R, "networks", i]);
    });

    const seenPools = new Map<string, number>();
    const seenPaths = new Map<string, number>();
    (res.pools ?? []).forEach((p, i) => {
      const name = this.format(p.name, [...R, "pools", i, "name"], "resourceName");
      if (name !== undefined) {
        this.unique(
          seenPools,
          name,
          [...R, "pools", i, "name"],
          `pool "${name}" is declared twice in this policy (first at pools[${seenPools.get(name)}])`,
          i,
        );
        if (p.state === "absent") absentPools.add(name);
      }
      const path = this.concrete(p.path);
      if (path !== undefined) {
        const problem = checkAbsolutePath(path);
        if (problem) this.issues.add([...R, "pools", i, "path"], problem);
        else
          this.unique(
            seenPaths,
            path,
            [...R, "pools", i, "path"],
            `pool path "${path}" is used twice in this policy (first at pools[${seenPaths.get(path)}])`,
            i,
          );
      }
    });

    const seenVolumes = new Map<string, number>();
    (res.volumes ?? []).forEach((v, i) => {
      const key = this.volume(v, [...R, "volumes", i], absentPools);
      if (key !== undefined) {
        this.unique(
          seenVolumes,
          key,
          [...R, "volumes", i, "name"],
          `volume "${key}" is declared twice in this policy (first at volumes[${seenVolumes.get(key)}])`,
          i,
        );
        if (v.state === "absent") absentVolumes.add(key);
      }
    });

    const seenDomains = new Map<string, number>();
    const seenMacs = new Map<string, string>();
    (res.domains ?? []).forEach((d, i) => {
      const name = this.format(d.name, [...R, "domains", i, "name"], "resourceName");
      if (name !== undefined)
        this.unique(
          seenDomains,
          name,
          [...R, "domains", i, "name"],
          `domain "${name}" is declared twice in this policy (first at domains[${seenDomains.get(name)}])`,
          i,
        );
      this.domain(d, [...R, "domains", i], { absentNetworks, absentPools, absentVolumes, seenMacs });
    });
  }

  private unique<T>(seen: Map<string, T>, key: string, path: PathSegment[], message: string, value: T): void {
    if (seen.has(key)) this.issues.add(path, message);
    else seen.set(key, value);
  }

  private network(n: NetworkDocument, path: PathSegment[]): void {
    this.format(n.bridge, [...path, "bridge"], "bridgeName");
    if (n.mode === "bridge") {
      if (n.bridge === undefined)
        this.issues.add([...path, "bridge"], 'mode "bridge" needs the name of an existing bridge');
      if (n.ipv4 !== undefined)
        this.issues.add([...path, "ipv4"], 'mode "bridge" attaches to an existing bridge: ipv4 is not allowed');
    }
    const ip = n.ipv4;
    if (!ip) return;
    const ipPath = [...path, "ipv4"];
    const addrText = this.format(ip.address, [...ipPath, "address"], "ipv4");
    const start = this.format(ip.dhcp?.start, [...ipPath, "dhcp", "start"], "ipv4");
    const end = this.format(ip.dhcp?.end, [...ipPath, "dhcp", "end"], "ipv4");
    if (addrText === undefined) {
      ip.dhcp?.hosts?.forEach((h, j) => this.dhcpHost(h, [...ipPath, "dhcp", "hosts", j], null, null));
      return;
    }
    const addr = ipv4ToInt(addrText)!;
    const sub = subnetRange(addr, ip.prefix);
    const subnetText = `${intToIpv4(sub.network)}/${ip.prefix}`;
    if (addr === sub.network || addr === sub.broadcast) {
      this.issues.add(
        [...ipPath, "address"],
        `${addrText} is the ${addr === sub.network ? "network" : "broadcast"} address of ${subnetText}; use a host address`,
      );
    }
    const inside = (v: number) => v > sub.network && v < sub.broadcast;
    if (start !== undefined && !inside(ipv4ToInt(start)!))
      this.issues.add([...ipPath, "dhcp", "start"], `${start} is outside the subnet ${subnetText}`);
    else if (end !== undefined && !inside(ipv4ToInt(end)!))
      this.issues.add([...ipPath, "dhcp", "end"], `${end} is outside the subnet ${subnetText}`);
    else if (start !== undefined && end !== undefined) {
      const s = ipv4ToInt(start)!;
      const e = ipv4ToInt(end)!;
      if (s > e) this.issues.add([...ipPath, "dhcp", "end"], `DHCP range ends (${end}) before it starts (${start})`);
      else if (addr >= s && addr <= e)
        this.issues.add(
          [...ipPath, "dhcp"],
          `DHCP range ${start}–${end} contains the network's own address ${addrText}`,
        );
    }
    const seenMac = new Set<string>();
    const seenIp = new Set<string>();
    ip.dhcp?.hosts?.forEach((h, j) => {
      const hp = [...ipPath, "dhcp", "hosts", j];
      const r = this.dhcpHost(h, hp, { ...sub, text: subnetText }, addr);
      if (r.mac) {
        if (seenMac.has(r.mac)) this.issues.add([...hp, "mac"], `MAC ${r.mac} has two DHCP entries`);
        seenMac.add(r.mac);
      }
      if (r.ip) {
        if (seenIp.has(r.ip)) this.issues.add([...hp, "ip"], `IP ${r.ip} has two DHCP entries`);
        seenIp.add(r.ip);
      }
    });
  }

  private dhcpHost(
    h: { mac: string; ip: string; name?: string },
    path: PathSegment[],
    sub: { network: number; broadcast: number; text: string } | null,
    addr: number | null,
  ): { mac?: string; ip?: string } {
    const mac = this.mac(h.mac, [...path, "mac"]);
    const ip = this.format(h.ip, [...path, "ip"], "ipv4");
    this.format(h.name, [...path, "name"], "hostname");
    if (ip !== undefined && sub) {
      const v = ipv4ToInt(ip)!;
      if (v <= sub.network || v >= sub.broadcast)
        this.issues.add([...path, "ip"], `${ip} is outside the subnet ${sub.text}`);
      else if (v === addr) this.issues.add([...path, "ip"], `${ip} is the network's own address`);
    }
    return { mac, ip };
  }

  private mac(v: unknown, path: PathSegment[]): string | undefined {
    const mac = this.format(v, path, "mac");
    if (mac === undefined) return undefined;
    if (Number.parseInt(mac.slice(0, 2), 16) & 1) {
      this.issues.add(path, `${mac} is a multicast address; a NIC needs a unicast MAC (even first byte)`);
      return undefined;
    }
    return mac.toLowerCase();
  }

  /** Returns the volume's identity `pool/name` when both are concrete and valid. */
  private volume(v: VolumeDocument, path: PathSegment[], absentPools: Set<string>): string | undefined {
    const name = this.format(v.name, [...path, "name"], "volumeName");
    const pool = this.format(v.pool, [...path, "pool"], "resourceName");
    const capacity = this.size(v.capacity, [...path, "capacity"]);
    if (capacity === 0) this.issues.add([...path, "capacity"], "must be greater than 0");
    const backing = this.format(v.backingVolume, [...path, "backingVolume"], "volumeName");
    if (v.backingVolume !== undefined) {
      if (v.source !== undefined)
        this.issues.add(
          [...path, "backingVolume"],
          "a volume is either an overlay (backingVolume) or imported (source), not both",
        );
      else if (v.format === "raw")
        this.issues.add([...path, "backingVolume"], "a copy-on-write overlay needs format qcow2");
      else if (backing !== undefined && backing === name)
        this.issues.add([...path, "backingVolume"], "a volume cannot be its own backing volume");
    }
    if (v.source) {
      const url = this.format(v.source.url, [...path, "source", "url"], "url");
      if (url !== undefined) {
        try {
          const u = new URL(url);
          if (u.protocol !== "file:" && u.hostname === "")
            this.issues.add([...path, "source", "url"], `${url} has no host`);
          if (u.protocol === "file:" && (u.hostname !== "" || !u.pathname.startsWith("/")))
            this.issues.add([...path, "source", "url"], `${url}: a file URL is file:///absolute/path`);
        } catch {
          this.issues.add([...path, "source", "url"], `invalid URL ${JSON.stringify(url)}`);
        }
      }
      this.format(v.source.sha256, [...path, "source", "sha256"], "sha256");
    }
    if (pool !== undefined && absentPools.has(pool) && v.state !== "absent") {
      this.issues.add(
        [...path, "pool"],
        `pool "${pool}" is declared absent in this policy; a present volume cannot live in it`,
      );
    }
    return name !== undefined && pool !== undefined ? `${pool}/${name}` : undefined;
  }

  private domain(
    d: DomainDocument,
    path: PathSegment[],
    ctx: {
      absentNetworks: Set<string>;
      absentPools: Set<string>;
      absentVolumes: Set<string>;
      seenMacs: Map<string, string>;
    },
  ): void {
    const present = d.state !== "absent";
    const mem = this.size(d.memory, [...path, "memory"]);
    if (mem !== undefined && (mem < 1024 ** 2 || mem % 1024 !== 0))
      this.issues.add([...path, "memory"], "must be at least 1MiB and a whole number of KiB");
    this.format(d.machine, [...path, "machine"], "machine");
    const disks = new Set<string>();
    (d.disks ?? []).forEach((disk, j) => {
      const ref = this.format(disk.volume, [...path, "disks", j, "volume"], "volumeRef");
      if (ref === undefined) return;
      if (disks.has(ref)) this.issues.add([...path, "disks", j, "volume"], `${ref} is attached twice`);
      disks.add(ref);
      if (present) this.refPresent(ref, [...path, "disks", j, "volume"], ctx);
    });
    (d.cdroms ?? []).forEach((cd, j) => {
      const s = this.concrete(cd);
      if (s === undefined) return;
      if (s.startsWith("/")) {
        const problem = checkAbsolutePath(s);
        if (problem) this.issues.add([...path, "cdroms", j], problem);
        else if (!s.endsWith(".iso")) this.issues.add([...path, "cdroms", j], `"${s}": a cdrom path must end in .iso`);
      } else if (!matchesPattern("volumeRef", s)) {
        this.issues.add(
          [...path, "cdroms", j],
          `invalid value ${JSON.stringify(s)}: pool/volume or an absolute path to an .iso`,
        );
      } else if (present) this.refPresent(s, [...path, "cdroms", j], ctx);
    });
    (d.interfaces ?? []).forEach((nic, j) => {
      const net = this.format(nic.network, [...path, "interfaces", j, "network"], "resourceName");
      if (net !== undefined && present && ctx.absentNetworks.has(net)) {
        this.issues.add([...path, "interfaces", j, "network"], `network "${net}" is declared absent in this policy`);
      }
      const mac = this.mac(nic.mac, [...path, "interfaces", j, "mac"]);
      if (mac !== undefined) {
        const where = `domains[${String(path[3])}].interfaces[${j}]`;
        const first = ctx.seenMacs.get(mac);
        if (first) this.issues.add([...path, "interfaces", j, "mac"], `MAC ${mac} is also used by ${first}`);
        else ctx.seenMacs.set(mac, where);
      }
    });
    const ci = d.cloudInit;
    if (ci) {
      const cp = [...path, "cloudInit"];
      this.format(ci.hostname, [...cp, "hostname"], "hostname");
      (ci.packages ?? []).forEach((p, j) => this.format(p, [...cp, "packages", j], "packageName"));
      const users = new Set<string>();
      (ci.users ?? []).forEach((u, j) => {
        const up = [...cp, "users", j];
        const name = this.format(u.name, [...up, "name"], "userName");
        if (name !== undefined) {
          if (users.has(name)) this.issues.add([...up, "name"], `user "${name}" is declared twice`);
          users.add(name);
        }
        (u.groups ?? []).forEach((g, k) => this.format(g, [...up, "groups", k], "userName"));
        this.format(u.passwordHash, [...up, "passwordHash"], "passwordHash");
        (u.sshAuthorizedKeys ?? []).forEach((key, k) => this.format(key, [...up, "sshAuthorizedKeys", k], "sshKey"));
      });
    }
  }

  private refPresent(
    ref: string,
    path: PathSegment[],
    ctx: { absentPools: Set<string>; absentVolumes: Set<string> },
  ): void {
    const pool = ref.slice(0, ref.indexOf("/"));
    if (ctx.absentVolumes.has(ref)) this.issues.add(path, `volume "${ref}" is declared absent in this policy`);
    else if (ctx.absentPools.has(pool)) this.issues.add(path, `pool "${pool}" is declared absent in this policy`);
  }
}
