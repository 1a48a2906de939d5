import type {
  CdromSpec,
  CloudInitSpec,
  DomainSpec,
  HostPrereqSpec,
  NetworkSpec,
  PoolSpec,
  ResolvedPolicy,
  SourceLocation,
  VolumeSpec,
} from "../kinds/resolved-policy.js";
import { parseSize } from "../common/units.js";
import { identityKey } from "./primitives/identity.js";
import { IssueList, PolicyValidationError, type PathSegment } from "./primitives/issues.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import { deriveMac } from "./primitives/mac.js";
import type {
  DomainDocument,
  NetworkDocument,
  PolicyDocument,
  ResourcesDocument,
  VarValue,
  VolumeDocument,
} from "./schema.js";
import { checkPolicySemantics } from "./semantics.js";
import { expandTemplate, type TemplateContext } from "./primitives/template.js";

/** The host a policy is resolved for. `vars` are the inventory's merged group + host vars. */
export interface HostContext {
  name: string;
  labels?: Readonly<Record<string, string>>;
  vars?: Readonly<Record<string, VarValue>>;
}

/**
 * A resolved policy plus where each resource was declared, keyed by identity
 * (`identityKey`: `domain/web-01`, `volume/pool/name`, `sysctl/net.ipv4.ip_forward`).
 */
export interface LocatedResolvedPolicy extends ResolvedPolicy {
  locations: Record<string, SourceLocation>;
}

/**
 * Resolves `policy` for one host: expands templates (host vars over group vars over policy
 * vars), re-checks the expanded values, applies defaults, converts sizes to bytes, and pins
 * every MAC (derived with `deriveMac` when not set). Throws PolicyValidationError listing
 * every problem (unknown variables, invalid expanded values) with file:line:col.
 *
 * Defaults: mode enforce, priority 0; network bridge/ipv4/mtu none, autostart false, state
 * active; pool type dir, autostart false, state active; volume format qcow2, state present;
 * domain cpu host-model, graphics none, autostart false, state running, restartOnChange
 * false; disk bus virtio; interface model virtio; lists empty; optional strings null.
 */
export function resolvePolicy(policy: LoadedPolicy, host: HostContext): LocatedResolvedPolicy {
  const issues = new IssueList(policy.file, policy.locate);
  const ctx: TemplateContext = {
    host: { name: host.name, labels: { ...(host.labels ?? {}) } },
    vars: { ...policy.vars, ...(host.vars ?? {}) },
  };
  const resources = expandDeep(policy.document.spec.resources, ["spec", "resources"], ctx, issues) as ResourcesDocument;
  if (issues.empty) {
    const expanded: PolicyDocument = { ...policy.document, spec: { ...policy.document.spec, resources } };
    checkPolicySemantics(expanded, issues, { deferTemplates: false });
  }
  if (!issues.empty)
    throw new PolicyValidationError(
      issues.items.map((i) => ({ ...i, message: `for host ${host.name}: ${i.message}` })),
    );
  const resolved = build(policy, resources);
  checkMacsUnique(resolved, policy, host.name);
  return resolved;
}

/** Derived MACs could (1 in 16M) collide with each other or a pinned one: refuse rather than guess. */
function checkMacsUnique(p: LocatedResolvedPolicy, policy: LoadedPolicy, hostName: string): void {
  const seen = new Map<string, string>();
  const issues = new IssueList(policy.file, policy.locate);
  p.resources.domains.forEach((d, i) =>
    d.interfaces.forEach((nic, j) => {
      const where = `${d.name} interface ${j}`;
      const first = seen.get(nic.mac);
      if (first)
        issues.add(
          ["spec", "resources", "domains", i, "interfaces", j],
          `for host ${hostName}: MAC ${nic.mac} of ${where} is also used by ${first}; pin a different mac`,
        );
      else seen.set(nic.mac, where);
    }),
  );
  if (!issues.empty) throw new PolicyValidationError(issues.items);
}

function expandDeep(v: unknown, path: PathSegment[], ctx: TemplateContext, issues: IssueList): unknown {
  if (typeof v === "string") {
    try {
      return expandTemplate(v, ctx);
    } catch (err) {
      issues.add(path, (err as Error).message);
      return v;
    }
  }
  if (Array.isArray(v)) return v.map((x, i) => expandDeep(x, [...path, i], ctx, issues));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandDeep(x, [...path, k], ctx, issues)]));
  }
  return v;
}

function build(policy: LoadedPolicy, res: ResourcesDocument): LocatedResolvedPolicy {
  const locations: Record<string, SourceLocation> = {};
  const R = ["spec", "resources"];
  const at = (key: string, path: PathSegment[]) => {
    locations[key] = policy.locate(path);
  };
  const host = res.host ? hostSpec(res.host) : null;
  if (host) for (const key of Object.keys(host.sysctl)) at(identityKey("sysctl", key), [...R, "host", "sysctl", key]);
  const networks = (res.networks ?? []).map((n, i) => {
    at(identityKey("network", n.name), [...R, "networks", i, "name"]);
    return networkSpec(n);
  });
  const pools = (res.pools ?? []).map((p, i): PoolSpec => {
    at(identityKey("pool", p.name), [...R, "pools", i, "name"]);
    return {
      name: p.name,
      type: p.type ?? "dir",
      path: p.path,
      autostart: p.autostart ?? false,
      state: p.state ?? "active",
    };
  });
  const volumes = (res.volumes ?? []).map((v, i) => {
    at(identityKey("volume", v.name, v.pool), [...R, "volumes", i, "name"]);
    return volumeSpec(v);
  });
  const domains = (res.domains ?? []).map((d, i) => {
    at(identityKey("domain", d.name), [...R, "domains", i, "name"]);
    return domainSpec(d);
  });
  return {
    name: policy.name,
    description: policy.description,
    mode: policy.mode,
    priority: policy.priority,
    source: policy.source,
    resources: { host, networks, pools, volumes, domains },
    locations,
  };
}

function hostSpec(h: NonNullable<ResourcesDocument["host"]>): HostPrereqSpec {
  return {
    requireVirtualization: h.requireVirtualization ?? false,
    kernelModules: [...(h.kernelModules ?? [])],
    sysctl: Object.fromEntries(Object.entries(h.sysctl ?? {}).map(([k, v]) => [k, String(v)])),
    minFreeMemoryBytes: h.minFreeMemory === undefined ? null : parseSize(h.minFreeMemory),
  };
}

function networkSpec(n: NetworkDocument): NetworkSpec {
  return {
    name: n.name,
    mode: n.mode,
    bridge: n.bridge ?? null,
    ipv4: n.ipv4
      ? {
          address: n.ipv4.address,
          prefix: n.ipv4.prefix,
          dhcp: n.ipv4.dhcp
            ? {
                start: n.ipv4.dhcp.start,
                end: n.ipv4.dhcp.end,
                hosts: (n.ipv4.dhcp.hosts ?? []).map((h) => ({
                  mac: h.mac.toLowerCase(),
                  ip: h.ip,
                  name: h.name ?? null,
                })),
              }
            : null,
        }
      : null,
    mtu: n.mtu ?? null,
    autostart: n.autostart ?? false,
    state: n.state ?? "active",
  };
}

function volumeSpec(v: VolumeDocument): VolumeSpec {
  return {
    name: v.name,
    pool: v.pool,
    format: v.format ?? "qcow2",
    capacityBytes: parseSize(v.capacity),
    backingVolume: v.backingVolume ?? null,
    source: v.source ? { url: v.source.url, sha256: v.source.sha256.toLowerCase() } : null,
    state: v.state ?? "present",
  };
}

function splitRef(ref: string): { pool: string; volume: string } {
  const slash = ref.indexOf("/");
  return { pool: ref.slice(0, slash), volume: ref.slice(slash + 1) };
}

function domainSpec(d: DomainDocument): DomainSpec {
  const ci = d.cloudInit;
  const cloudInit: CloudInitSpec | null = ci
    ? {
        hostname: ci.hostname ?? null,
        users: (ci.users ?? []).map((u) => ({
          name: u.name,
          groups: [...(u.groups ?? [])],
          sudo: u.sudo ?? null,
          passwordHash: u.passwordHash ?? null,
          sshAuthorizedKeys: [...(u.sshAuthorizedKeys ?? [])],
        })),
        packages: [...(ci.packages ?? [])],
        packageUpdate: ci.packageUpdate ?? false,
      }
    : null;
  return {
    name: d.name,
    vcpus: d.vcpus,
    memoryBytes: parseSize(d.memory),
    cpu: d.cpu ?? "host-model",
    machine: d.machine ?? null,
    disks: (d.disks ?? []).map((disk) => ({ ...splitRef(disk.volume), bus: disk.bus ?? "virtio" })),
    cdroms: (d.cdroms ?? []).map((c): CdromSpec => (c.startsWith("/") ? { path: c } : splitRef(c))),
    interfaces: (d.interfaces ?? []).map((nic, i) => ({
      network: nic.network,
      model: nic.model ?? "virtio",
      mac: nic.mac ? nic.mac.toLowerCase() : deriveMac(d.name, i),
    })),
    cloudInit,
    graphics: d.graphics ?? "none",
    autostart: d.autostart ?? false,
    state: d.state ?? "running",
    restartOnChange: d.restartOnChange ?? false,
  };
}
