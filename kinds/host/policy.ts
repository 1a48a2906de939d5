import { identityKey } from "../../policy-primitives/identity.js";
import type { SinglePolicyKind } from "../policy-kind.js";
import { resolveHost } from "./resolve.js";
import { checkHostDocument } from "./semantics.js";
import type { HostDocument, HostPrereqSpec } from "./spec.js";
import { hostNetworkClaims, withoutNetworkClaims } from "./network/claims.js";
import { hugepageClaims, withoutHugepageClaims } from "./hugepages/claims.js";

/**
 * The host kind's policy face. Each sysctl key is an identity of its own (two policies
 * setting one key to different values conflict), and so is each hugepage size
 * (hugepages/claims.ts); kernel modules, requireVirtualization and minFreeMemory never conflict (each policy's prerequisite is checked on its own). Each
 * bridge, bond and VLAN claims its interface name (network/claims.ts).
 */
export const hostPolicyKind: SinglePolicyKind<HostDocument, HostPrereqSpec, "host"> = {
  kind: "host",
  key: "host",
  many: false,
  resolve: resolveHost,
  claims: (h) => [
    ...Object.entries(h.sysctl ?? {}).map(([k, v]) => ({
      identity: identityKey("sysctl", k),
      kind: "sysctl" as const,
      name: k,
      value: String(v),
      path: ["sysctl", k],
    })),
    ...hugepageClaims(h.hugepages),
    ...hostNetworkClaims("network" in h ? h.network : (h as HostDocument)),
  ],
  checkDocument: checkHostDocument,
  withoutClaims: (h, drop) => ({
    ...h,
    sysctl: Object.fromEntries(Object.entries(h.sysctl).filter(([k]) => !drop.has(identityKey("sysctl", k)))),
    ...(h.network ? { network: withoutNetworkClaims(h.network, drop) } : {}),
    ...withoutHugepages(h.hugepages, drop),
  }),
};

function withoutHugepages(
  h: HostPrereqSpec["hugepages"],
  drop: ReadonlySet<string>,
): Pick<HostPrereqSpec, "hugepages"> {
  const kept = withoutHugepageClaims(h, drop);
  return kept === undefined ? {} : { hugepages: kept };
}
