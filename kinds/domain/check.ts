import { checkCloudInitSpec } from "../cloud-init-seed/check.js";
import type { SpecChecker } from "../spec-checker.js";
import { checkCpuMemorySpec } from "./cpu-memory/check.js";
import { checkDevicesSpec } from "./devices/check.js";
import { checkDisksSpec } from "./disks/check.js";
import { checkFirmwareSpec } from "./firmware/check.js";
import { checkMetadataSpec } from "./metadata/check.js";
import { checkNicsSpec } from "./nics/check.js";
import type { DomainSpec } from "./spec.js";

/**
 * The loader's value rules for a resolved domain (kinds/spec-checker.ts), area by area:
 * names, machine, firmware and boot, CPU and memory, disks and cdroms, NICs, cloud-init values. A password hash is never shown.
 */
export function checkDomainSpec(c: SpecChecker, d: DomainSpec): void {
  c.format(d.name, "name", "resourceName");
  c.format(d.machine, "machine", "machine", true);
  checkFirmwareSpec(c, d);
  checkCpuMemorySpec(c, d);
  checkDisksSpec(c, d);
  checkNicsSpec(c, d);
  checkMetadataSpec(c, d);
  checkDevicesSpec(c, d);
  if (d.cloudInit) checkCloudInitSpec(c, d.cloudInit);
}
