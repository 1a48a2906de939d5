import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";

/** The agent's re-check of a resolved domain's NICs (kinds/spec-checker.ts). */
export function checkNicsSpec(c: SpecChecker, d: DomainSpec): void {
  (d.interfaces ?? []).forEach((n, i) => {
    c.format(n.network, `interfaces[${i}].network`, "resourceName");
    c.format(n.mac, `interfaces[${i}].mac`, "mac");
  });
}
