import type { SpecChecker } from "../spec-checker.js";
import type { PoolSpec } from "./spec.js";

/** The loader's value rules for a resolved pool (kinds/spec-checker.ts). */
export function checkPoolSpec(c: SpecChecker, p: PoolSpec): void {
  c.format(p.name, "name", "resourceName");
  c.path(p.path, "path");
}
