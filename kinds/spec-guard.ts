import { resolvedSpecProblems } from "./spec-check.js";
import { ValidationError } from "../common/errors.js";
import type { DomainSpec, HostPrereqSpec, NetworkSpec, PoolSpec, VolumeSpec } from "./resolved-policy.js";

type Specs = { network: NetworkSpec; pool: PoolSpec; volume: VolumeSpec; domain: DomainSpec; host: HostPrereqSpec };

/**
 * Every resource checks its resolved spec when it is built (common/policy/spec-check.ts:
 * names, paths, formats and control characters, the loader's own rules), so a bundle that
 * bypassed the controller's validation is refused before anything reads or changes libvirt
 * or a file: the bundle fails to load and the one in force stays. Throws ValidationError
 * naming the resource and the first problems.
 */
export function assertValidSpec<K extends keyof Specs>(kind: K, spec: Specs[K], name: string): void {
  const problems = (resolvedSpecProblems as (k: K, s: Specs[K]) => string[])(kind, spec);
  if (problems.length === 0) return;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
  throw new ValidationError(`${kind} ${shown} refused, its spec is invalid: ${problems.slice(0, 3).join("; ")}${more}`);
}
