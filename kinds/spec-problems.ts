import { checkDomainSpec } from "./domain/check.js";
import { checkHostSpec } from "./host/check.js";
import type { KindName } from "./names.js";
import { checkNetworkSpec } from "./network/check.js";
import { checkPoolSpec } from "./pool/check.js";
import { specProblems, type SpecChecker } from "./spec-checker.js";
import { checkVolumeSpec } from "./volume/check.js";
import type { DomainSpec } from "./domain/spec.js";
import type { HostPrereqSpec } from "./host/spec.js";
import type { NetworkSpec } from "./network/spec.js";
import type { PoolSpec } from "./pool/spec.js";
import type { VolumeSpec } from "./volume/spec.js";

/** The resolved spec type of each kind. */
export interface SpecOfKind {
  host: HostPrereqSpec;
  network: NetworkSpec;
  pool: PoolSpec;
  volume: VolumeSpec;
  domain: DomainSpec;
}

const CHECKS: { [K in KindName]: (c: SpecChecker, spec: SpecOfKind[K]) => void } = {
  host: checkHostSpec,
  network: checkNetworkSpec,
  pool: checkPoolSpec,
  volume: checkVolumeSpec,
  domain: checkDomainSpec,
};

/**
 * The loader's value rules re-applied to one resolved spec of `kind` (kinds/spec-checker.ts):
 * every problem as `field: message`, empty when the spec is fine.
 */
export function resolvedSpecProblems<K extends KindName>(kind: K, spec: SpecOfKind[K]): string[] {
  return specProblems(spec, CHECKS[kind] as (c: SpecChecker, spec: SpecOfKind[K]) => void);
}
