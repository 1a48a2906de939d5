import type { DomainDocument, DomainSpec } from "../spec.js";

/** Devices resolved: graphics default none. */
export function resolveDevices(d: DomainDocument): Pick<DomainSpec, "graphics"> {
  return { graphics: d.graphics ?? "none" };
}
