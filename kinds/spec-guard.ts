import { ValidationError } from "../common/errors.js";
import type { KindName } from "./names.js";
import { specProblems, type SpecChecker } from "./spec-checker.js";

/**
 * Every resource checks its resolved spec when it is built, with its kind's `check`
 * (names, paths, formats and control characters, the loader's own rules), so a bundle that
 * bypassed the controller's validation is refused before anything reads or changes libvirt
 * or a file: the bundle fails to load and the one in force stays. Throws ValidationError
 * naming the resource and the first problems.
 */
export function assertValidSpec<S>(
  kind: KindName,
  spec: S,
  name: string,
  check: (c: SpecChecker, spec: S) => void,
): void {
  const problems = specProblems(spec, check);
  if (problems.length === 0) return;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
  throw new ValidationError(`${kind} ${shown} refused, its spec is invalid: ${problems.slice(0, 3).join("; ")}${more}`);
}
