/**
 * What two policies can both claim on one host. `sysctl` is one key of the host prerequisites;
 * `hostInterface` one bridge, bond or VLAN of the host's networking; `hugepages` one page size of
 * the host's reserved hugepages.
 */
export type ResourceKind = "network" | "pool" | "volume" | "domain" | "sysctl" | "hostInterface" | "hugepages";

/** The identity of a resource on a host: `(kind, name)`, volumes `(pool, name)` → `volume/pool/name`. */
export function identityKey(kind: ResourceKind, name: string, pool?: string): string {
  return kind === "volume" ? `volume/${pool}/${name}` : `${kind}/${name}`;
}
