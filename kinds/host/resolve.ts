import { parseSize } from "../../common/units.js";
import type { HostDocument, HostPrereqSpec } from "./spec.js";
import { resolveHostNetwork } from "./network/resolve.js";

/** `spec.resources.host` after templating → the resolved prerequisites. Defaults: not checked, none. */
export function resolveHost(h: HostDocument): HostPrereqSpec {
  const network = resolveHostNetwork(h);
  return {
    ...(network ? { network } : {}),
    ...(h.hugepages && Object.keys(h.hugepages).length > 0 ? { hugepages: { ...h.hugepages } } : {}),
    requireVirtualization: h.requireVirtualization ?? false,
    kernelModules: [...(h.kernelModules ?? [])],
    sysctl: Object.fromEntries(Object.entries(h.sysctl ?? {}).map(([k, v]) => [k, String(v)])),
    minFreeMemoryBytes: h.minFreeMemory === undefined ? null : parseSize(h.minFreeMemory),
  };
}
