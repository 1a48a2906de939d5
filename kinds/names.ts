/**
 * The resource kinds, listed once. The controller's kind list (ingest, drift queries), the
 * agent's event routing and autostart watching, and the registries (policy-kinds.ts,
 * schemas.ts, registry.ts) are typed by it, so adding a kind here makes the compiler ask for
 * it everywhere a kind must be handled. (The engine is kind-agnostic.)
 * (The cloud-init seed is a `volume` resource on the wire and in reports: not a kind name.)
 *
 * Contract: this file imports nothing (the agent, the controller and the CLI all load it).
 */
export const KIND_NAMES = ["domain", "network", "pool", "volume", "host"] as const;
export type KindName = (typeof KIND_NAMES)[number];

export function isKindName(v: string): v is KindName {
  return (KIND_NAMES as readonly string[]).includes(v);
}
