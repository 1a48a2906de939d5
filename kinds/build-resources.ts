import { ValidationError } from "../common/errors.js";
import type { ResolvedPolicy } from "./resolved-policy.js";
import type { DomainSpec } from "./domain/spec.js";
import { CheckOnly, resourceId, type Resource } from "../engine/index.js";
import type { DomainHostEnv } from "./domain/resource.js";
import { DomainResource } from "./domain/resource.js";
import { REAL_HOST, type HostEnvironment } from "./host/environment.js";
import { HostResource } from "./host/resource.js";
import { mergeHostPrereqs } from "./host/merge.js";
import { HostNetworkResource, REAL_HOST_NETWORK, type HostNetworkEnv } from "./host/network/resource.js";
import { NetworkResource } from "./network/resource.js";
import { declareHostBridges } from "./network/bridge-check.js";
import { PoolResource } from "./pool/resource.js";
import type { ResourceContext } from "./resource-context.js";
import { VolumeResource } from "./volume/resource.js";
import { volumeDependencies } from "./volume/dependencies.js";
import { domainDependencies } from "./domain/dependencies.js";
import {
  CloudInitSeedResource,
  DomainWithSeedCleanup,
  mayHaveLeftoverSeed,
  seedPoolOf,
  seedVolumeName,
} from "./cloud-init-seed/index.js";

export interface ResourceFactoryOptions {
  ctx: ResourceContext;
  domainEnv: DomainHostEnv;
  hostEnv?: HostEnvironment;
  /** What host networking runs `ip` with (default: the real machine). */
  hostNetworkEnv?: HostNetworkEnv;
}

/**
 * The resources of `policies` (already resolved for this host, conflicts settled), with
 * their dependency edges: host → everything; host networking → networks and domains; pool → volume (and backing volume → overlay);
 * volume and network → domain. A domain with `cloudInit` gets a seed volume resource
 * (cloud-init/seed-resource.ts) in its pool → seed → domain, and is converged with an
 * effective spec whose cdroms end with that seed (so define, diff and a second apply all
 * see the same list); removing the domain removes its seed, and so does dropping `cloudInit`
 * from a guest that stays (cloud-init-seed/seed-cleanup.ts: after the guest lost the cdrom). Throws ValidationError when a
 * domain's seed has no pool or collides with a declared volume.
 */
export function resourcesFromPolicies(policies: readonly ResolvedPolicy[], o: ResourceFactoryOptions): Resource[] {
  const audited = new Set(policies.filter((p) => p.mode === "audit").map((p) => p.name));
  return declaredResources(policies, o).map((r) => (audited.has(r.policy) ? new CheckOnly(r) : r));
}

/** The same resources with every policy's resources as declared: audit mode not applied (agent/run-bundle decides it). */
export function declaredResources(policies: readonly ResolvedPolicy[], o: ResourceFactoryOptions): Resource[] {
  const audited = new Set(policies.filter((p) => p.mode === "audit").map((p) => p.name));
  const out: Resource[] = [];
  const base: string[] = [];
  // networks and guests may use the host's bridges: they also wait for host networking
  const netBase: string[] = [];
  for (const host of hostResources(policies, o)) {
    out.push(host);
    if (host.name === "host") base.push(resourceId("host", "host"));
    if (host.name === "host" || host.name === "network") netBase.push(resourceId("host", host.name));
  }
  const removedVolumes = new Map<string, Set<string>>();
  const removeVolume = (pool: string, name: string) => {
    if (!removedVolumes.has(pool)) removedVolumes.set(pool, new Set());
    removedVolumes.get(pool)!.add(name);
  };
  const declaredVolumes = new Set<string>();
  // A volume checks what its pool's type supports even before the pool exists (kinds/volume/pool-formats.ts).
  const poolTypes = new Map<string, string>();
  for (const p of policies) {
    for (const pool of p.resources.pools) if (pool.state !== "absent") poolTypes.set(pool.name, pool.type);
    for (const v of p.resources.volumes) {
      declaredVolumes.add(`${v.pool}/${v.name}`);
      if (v.state === "absent") removeVolume(v.pool, v.name);
    }
    for (const d of p.resources.domains) {
      const pool = d.cloudInit ? seedPoolOf(d) : null;
      if (pool !== null && d.state === "absent") removeVolume(pool, seedVolumeName(d.name));
    }
  }
  const hostBridges = new Set(
    out.flatMap((r) =>
      r instanceof HostNetworkResource && r.name === "network" && audited.has(r.policy) === false
        ? r.spec.bridges.map((b) => b.name)
        : [],
    ),
  );
  for (const p of policies) {
    for (const n of p.resources.networks) {
      declareHostBridges(n, hostBridges);
      out.push(new NetworkResource(n, p.name, [...netBase], o.ctx));
    }
    for (const pool of p.resources.pools) {
      out.push(new PoolResource(pool, p.name, [...base], removedVolumes.get(pool.name) ?? new Set(), o.ctx));
    }
    for (const v of p.resources.volumes) {
      const r = new VolumeResource(v, p.name, [...base, ...volumeDependencies(v)], o.ctx);
      r.declaredPoolType = poolTypes.get(v.pool);
      out.push(r);
    }
    for (const d of p.resources.domains) {
      const deps = [...netBase, ...domainDependencies(d)];
      const seed = seedFor(d, p.name, base, declaredVolumes, o);
      if (seed) {
        out.push(seed);
        deps.push(resourceId("volume", seed.name));
      }
      const spec = seed ? withSeedCdrom(d, seed) : d;
      const cleanup =
        !seed && mayHaveLeftoverSeed(d) && !declaredVolumes.has(`${seedPoolOf(d)}/${seedVolumeName(d.name)}`);
      const Domain = cleanup ? DomainWithSeedCleanup : DomainResource;
      out.push(new Domain(spec, p.name, [...new Set(deps)], o.ctx, o.domainEnv));
    }
  }
  // Guests check that what they refer to is declared here or exists on the host (domain/references.ts),
  // and hugepages against what the enforced host resource reserves first (domain/cpu-memory/host-check.ts).
  const declared = new Set(out.map((r) => resourceId(r.kind, r.name)));
  const reserved = out.find(
    (r): r is HostResource => r instanceof HostResource && r.name === "host" && !audited.has(r.policy),
  );
  for (const r of out) {
    if (r instanceof DomainResource) {
      r.declaredIds = declared;
      r.hostHugepages = reserved?.spec.hugepages;
    }
    if (r instanceof HostResource) r.hostName = () => o.ctx.hostName;
  }
  // Networks check that no two take one bridge or subnet, in the bundle or on the host (network/clash-check.ts).
  const networks = policies.flatMap((p) => p.resources.networks.map((spec) => ({ spec, policy: p.name })));
  for (const r of out) if (r instanceof NetworkResource) r.declaredNetworks = networks;
  return out;
}

/** The seed resource of `d`, or null without cloudInit (or when removing a domain whose seed has no pool). */
function seedFor(
  d: DomainSpec,
  policy: string,
  base: string[],
  declaredVolumes: ReadonlySet<string>,
  o: ResourceFactoryOptions,
): CloudInitSeedResource | null {
  if (!d.cloudInit) return null;
  if (seedPoolOf(d) === null && d.state === "absent") return null;
  const seed = new CloudInitSeedResource(d, policy, base, o.ctx);
  if (declaredVolumes.has(seed.name)) {
    throw new ValidationError(
      `domain ${d.name}: its cloud-init seed ${seed.name} is also declared as a volume; rename that volume`,
    );
  }
  return seed;
}

/** `d` with the seed as its last cdrom. */
function withSeedCdrom(d: DomainSpec, seed: CloudInitSeedResource): DomainSpec {
  return { ...d, cdroms: [...d.cdroms, { pool: seed.pool, volume: seed.volume }] };
}

/**
 * The host prerequisites of every policy that declares some, merged (kinds/host/merge.ts):
 * enforce-mode policies into the resource `host/host` (every other resource depends on it),
 * reported under the highest-priority contributor. Audit-mode policies merge into it as well
 * when no enforce-mode policy declares host prerequisites (the resource is then checked
 * only); otherwise into `host/audit`, checked only, so an audit policy's sysctl is never
 * written because another policy enforces. Host networking follows the same split:
 * `host/network` (every libvirt resource depends on it: a bridge-mode network or a guest may
 * use its bridges) and `host/network-audit`.
 */
function hostResources(
  policies: readonly ResolvedPolicy[],
  o: ResourceFactoryOptions,
): (HostResource | HostNetworkResource)[] {
  const contributions = policies.flatMap((p) =>
    p.resources.host === null ? [] : [{ policy: p.name, priority: p.priority, mode: p.mode, spec: p.resources.host }],
  );
  const enforced = mergeHostPrereqs(contributions.filter((c) => c.mode === "enforce"));
  const audited = mergeHostPrereqs(contributions.filter((c) => c.mode === "audit"));
  const env = o.hostEnv ?? REAL_HOST;
  const out: (HostResource | HostNetworkResource)[] = [];
  if (enforced) out.push(new HostResource(enforced.spec, enforced.policy, env));
  if (audited) out.push(new HostResource(audited.spec, audited.policy, env, enforced ? "audit" : "host"));
  // host networking (kinds/host/network/): its own resource, after the prerequisites (a
  // module it needs may be loaded by them); the libvirt resources depend on it
  const net = o.hostNetworkEnv ?? REAL_HOST_NETWORK;
  const runtime = () => o.ctx.hostNetwork;
  const hostDep = enforced || audited ? [resourceId("host", "host")] : [];
  const enforcedNet = enforced?.spec.network;
  const auditedNet = audited?.spec.network;
  if (enforcedNet) out.push(new HostNetworkResource(enforcedNet, enforced!.policy, hostDep, runtime, net));
  if (auditedNet) {
    const name = enforcedNet ? "network-audit" : "network";
    out.push(new HostNetworkResource(auditedNet, audited!.policy, hostDep, runtime, net, name, !enforcedNet));
  }
  return out;
}
