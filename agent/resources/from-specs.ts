import type { ResolvedPolicy } from "../../common/index.js";
import { resourceId, type CheckResult, type Resource } from "../engine/index.js";
import type { DomainHostEnv } from "./domain.js";
import { DomainResource } from "./domain.js";
import { REAL_HOST, type HostEnvironment } from "./host-environment.js";
import { HostResource } from "./host.js";
import { NetworkResource } from "./network.js";
import { PoolResource } from "./pool.js";
import type { ResourceContext } from "./context.js";
import { VolumeResource } from "./volume.js";

export interface ResourceFactoryOptions {
  ctx: ResourceContext;
  domainEnv: DomainHostEnv;
  hostEnv?: HostEnvironment;
}

/**
 * The resources of `policies` (already resolved for this host, conflicts settled), with
 * their dependency edges: host → everything; pool → volume (and backing volume → overlay);
 * volume and network → domain.
 */
export function resourcesFromPolicies(policies: readonly ResolvedPolicy[], o: ResourceFactoryOptions): Resource[] {
  const audited = new Set(policies.filter((p) => p.mode === "audit").map((p) => p.name));
  return declaredResources(policies, o).map((r) => (audited.has(r.policy) ? new AuditOnly(r) : r));
}

/** A resource of an audit-mode policy: checked, never changed. */
class AuditOnly implements Resource {
  readonly audit = true;
  constructor(private readonly inner: Resource) {}
  get kind() {
    return this.inner.kind;
  }
  get name() {
    return this.inner.name;
  }
  get dependsOn() {
    return this.inner.dependsOn;
  }
  get removing() {
    return this.inner.removing;
  }
  get policy() {
    return this.inner.policy;
  }
  checkApply(signal: AbortSignal): Promise<CheckResult> {
    return this.inner.checkApply(signal, false);
  }
}

function declaredResources(policies: readonly ResolvedPolicy[], o: ResourceFactoryOptions): Resource[] {
  const out: Resource[] = [];
  const hostPolicy = policies.find((p) => p.resources.host !== null);
  const base: string[] = [];
  if (hostPolicy) {
    out.push(new HostResource(hostPolicy.resources.host!, hostPolicy.name, o.hostEnv ?? REAL_HOST));
    base.push(resourceId("host", "host"));
  }
  const removedVolumes = new Map<string, Set<string>>();
  for (const p of policies) {
    for (const v of p.resources.volumes) {
      if (v.state !== "absent") continue;
      if (!removedVolumes.has(v.pool)) removedVolumes.set(v.pool, new Set());
      removedVolumes.get(v.pool)!.add(v.name);
    }
  }
  for (const p of policies) {
    for (const n of p.resources.networks) out.push(new NetworkResource(n, p.name, [...base], o.ctx));
    for (const pool of p.resources.pools) {
      out.push(new PoolResource(pool, p.name, [...base], removedVolumes.get(pool.name) ?? new Set(), o.ctx));
    }
    for (const v of p.resources.volumes) {
      const deps = [...base, resourceId("pool", v.pool)];
      if (v.backingVolume) deps.push(resourceId("volume", `${v.pool}/${v.backingVolume}`));
      out.push(new VolumeResource(v, p.name, deps, o.ctx));
    }
    for (const d of p.resources.domains) {
      const deps = [
        ...base,
        ...d.disks.map((x) => resourceId("volume", `${x.pool}/${x.volume}`)),
        ...d.cdroms.flatMap((c) => ("pool" in c ? [resourceId("volume", `${c.pool}/${c.volume}`)] : [])),
        ...d.interfaces.map((i) => resourceId("network", i.network)),
      ];
      out.push(new DomainResource(d, p.name, [...new Set(deps)], o.ctx, o.domainEnv));
    }
  }
  return out;
}
