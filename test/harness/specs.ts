import type { DomainSpec, ResolvedPolicy, ResourcesSpec, VolumeSpec } from "../../common/index.js";

/** A tiny diskless guest (1 vCPU, 64 MiB, no NICs): starts in well under a second. */
export function tinyDomainSpec(name: string, over: Partial<DomainSpec> = {}): DomainSpec {
  return {
    name,
    vcpus: 1,
    memoryBytes: 64 * 1024 * 1024,
    cpu: "host-model",
    machine: null,
    disks: [],
    cdroms: [],
    interfaces: [],
    cloudInit: null,
    graphics: "none",
    autostart: false,
    state: "running",
    restartOnChange: false,
    ...over,
  };
}

/** A 1 MiB qcow2 volume `name` in `pool`, present, without backing volume or source. */
export function volumeSpec(name: string, pool: string, over: Partial<VolumeSpec> = {}): VolumeSpec {
  return {
    name,
    pool,
    format: "qcow2",
    capacityBytes: 1 << 20,
    backingVolume: null,
    source: null,
    state: "present",
    ...over,
  };
}

/** A resolved policy holding `resources` (empty lists for the rest). */
export function resolvedPolicy(
  name: string,
  resources: Partial<ResourcesSpec>,
  over: Partial<ResolvedPolicy> = {},
): ResolvedPolicy {
  return {
    name,
    description: null,
    mode: "enforce",
    priority: 0,
    source: { file: name, line: 1, col: 1 },
    resources: { host: null, networks: [], pools: [], volumes: [], domains: [], ...resources },
    ...over,
  };
}

/**
 * A policy document's domain entry (as YAML writes it): a shut-off 1 vCPU, 64 MiB guest
 * booting from the volume `POOL/GUEST.qcow2`, with `cloudInit` when given (its seed goes into
 * the same pool). Nothing boots: the seed is built and attached.
 */
export function seedGuestDocument(pool: string, guest: string, cloudInit?: unknown): Record<string, unknown> {
  return {
    name: guest,
    vcpus: 1,
    memory: "64MiB",
    disks: [{ volume: `${pool}/${guest}.qcow2` }],
    ...(cloudInit === undefined ? {} : { cloudInit }),
    state: "shutoff",
  };
}

/**
 * A policy document (YAML text) with one isolated network in audit mode: hosts that get it
 * only check it, so nothing on the machine changes.
 */
export function auditNetworkPolicyYaml(policy: string, network: string, bridge: string, mode = "isolated"): string {
  return [
    "apiVersion: virtfleet/v1",
    "kind: Policy",
    "metadata:",
    `  name: ${policy}`,
    "spec:",
    "  mode: audit",
    "  resources:",
    "    networks:",
    `      - name: ${network}`,
    `        mode: ${mode}`,
    `        bridge: ${bridge}`,
    "",
  ].join("\n");
}
