import { resolveCloudInit } from "../cloud-init-seed/resolve.js";
import { resolveCpuMemory } from "./cpu-memory/resolve.js";
import { resolveDevices } from "./devices/resolve.js";
import { resolveDisks } from "./disks/resolve.js";
import { resolveFirmware } from "./firmware/resolve.js";
import { resolveMetadata } from "./metadata/resolve.js";
import { resolveNics } from "./nics/resolve.js";
import type { DomainDocument, DomainSpec } from "./spec.js";

/**
 * One domain after templating → its resolved spec, area by area (each area's resolve.ts
 * states its defaults). Life cycle defaults: autostart false, state running, restartOnChange
 * false; `adopt` present only when true. A field an area leaves out when unset keeps the spec
 * (and its hash) of a guest that does not use it unchanged.
 */
export function resolveDomain(d: DomainDocument): DomainSpec {
  return {
    name: d.name,
    ...resolveMetadata(d),
    ...resolveCpuMemory(d),
    machine: d.machine ?? null,
    ...resolveFirmware(d),
    ...resolveDisks(d),
    ...resolveNics(d),
    cloudInit: resolveCloudInit(d.cloudInit),
    ...resolveDevices(d),
    autostart: d.autostart ?? false,
    ...(d.adopt === true ? { adopt: true as const } : {}),
    state: d.state ?? "running",
    restartOnChange: d.restartOnChange ?? false,
  };
}
