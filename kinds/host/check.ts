import type { SpecChecker } from "../spec-checker.js";
import type { HostPrereqSpec } from "./spec.js";
import { checkHostNetworkSpec } from "./network/check.js";

/** The loader's value rules for resolved host prerequisites (kinds/spec-checker.ts). */
export function checkHostSpec(c: SpecChecker, h: HostPrereqSpec): void {
  (h.kernelModules ?? []).forEach((m, i) => c.format(m, `kernelModules[${i}]`, "kernelModule"));
  for (const k of Object.keys(h.sysctl ?? {})) c.format(k, `sysctl[${JSON.stringify(k)}]`, "sysctlKey");
  if (h.network) checkHostNetworkSpec(c, h.network);
}
