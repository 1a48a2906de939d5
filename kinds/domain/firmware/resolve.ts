import type { DomainDocument, DomainSpec } from "../spec.js";

/** Firmware and boot fields, each left out when not set. */
export function resolveFirmware(_d: DomainDocument): Partial<DomainSpec> {
  return {};
}
