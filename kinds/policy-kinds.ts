import { domainPolicyKind } from "./domain/policy.js";
import { hostPolicyKind } from "./host/policy.js";
import type { KindName } from "./names.js";
import { networkPolicyKind } from "./network/policy.js";
import type { AnyPolicyKind, ListPolicyKind, SinglePolicyKind } from "./policy-kind.js";
import { poolPolicyKind } from "./pool/policy.js";
import { volumePolicyKind } from "./volume/policy.js";

/**
 * The policy face of every kind (kinds/names.ts lists them; the compiler asks for each),
 * for the policy language: the `spec.resources` schema, the resolved-spec schema, resolve,
 * semantic rules and conflict claims are all assembled from it. Loads TypeBox: the agent
 * never imports this file (it takes the types only).
 */
const BY_NAME = {
  host: hostPolicyKind,
  network: networkPolicyKind,
  pool: poolPolicyKind,
  volume: volumePolicyKind,
  domain: domainPolicyKind,
} as const satisfies { readonly [K in KindName]: AnyPolicyKind };

type Entry = (typeof BY_NAME)[KindName];

/** The policy face of `kind`. */
export function policyKindOf<K extends KindName>(kind: K): (typeof BY_NAME)[K] {
  return BY_NAME[kind];
}

/**
 * In the order `spec.resources` lists them and their rules run: a kind's references point
 * only to kinds before it (volume → pool, domain → volume, network).
 */
export const POLICY_KINDS: readonly Entry[] = [
  BY_NAME.host,
  BY_NAME.network,
  BY_NAME.pool,
  BY_NAME.volume,
  BY_NAME.domain,
];

/** `spec.resources` of a policy document: each kind under its key, every key optional. */
export type ResourcesDocument = {
  [E in Entry as E["key"]]?: E extends ListPolicyKind<infer D, unknown, string>
    ? D[]
    : E extends SinglePolicyKind<infer D, unknown, string>
      ? D
      : never;
};

/** `spec.resources` resolved: a list per list kind, a spec or null per single kind. */
export type ResourcesSpecOf = {
  [E in Entry as E["key"]]: E extends ListPolicyKind<unknown, infer S, string>
    ? S[]
    : E extends SinglePolicyKind<unknown, infer S, string>
      ? S | null
      : never;
};
