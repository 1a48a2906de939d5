import { identityKey } from "../../../policy-primitives/identity.js";
import type { Claim } from "../../policy-kind.js";
import type { HostNetworkDocument, HostNetworkSpec } from "./spec.js";

const LISTS = ["bridges", "bonds", "vlans"] as const;

/** Canonical JSON (keys sorted) of one declaration: equal declarations do not conflict. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/**
 * Each declared bridge, bond and VLAN claims `hostInterface/NAME` (one name space); its value
 * is the whole declaration, so two policies declaring the same interface identically agree,
 * and differently conflict (the higher priority keeps it, as for a sysctl key).
 * `n`: the host document, or the resolved spec's `network`.
 */
export function hostNetworkClaims(n: HostNetworkDocument | HostNetworkSpec | undefined): Claim[] {
  if (!n) return [];
  return LISTS.flatMap((list) =>
    ((n[list] ?? []) as { name: string }[]).map((item, i) => ({
      identity: identityKey("hostInterface", item.name),
      kind: "hostInterface" as const,
      name: item.name,
      value: canonical(item),
      path: [list, i, "name"],
    })),
  );
}

/** The resolved networking without the interfaces whose claims were lost to another policy. */
export function withoutNetworkClaims(n: HostNetworkSpec, drop: ReadonlySet<string>): HostNetworkSpec {
  const keep = <T extends { name: string }>(list: T[]) =>
    list.filter((x) => !drop.has(identityKey("hostInterface", x.name)));
  return { ...n, bridges: keep(n.bridges), bonds: keep(n.bonds), vlans: keep(n.vlans) };
}
