import type { DomainDocument, DomainSpec } from "../spec.js";

/**
 * Firmware and boot fields, each left out when not set (absent firmware = bios). A kernel
 * without `path` never reaches here (semantics.ts rejects it).
 */
export function resolveFirmware(d: DomainDocument): Partial<DomainSpec> {
  const out: Partial<DomainSpec> = {};
  if (d.firmware !== undefined) out.firmware = d.firmware;
  if (d.kernel !== undefined) {
    const k = d.kernel;
    out.kernel = {
      path: k.path ?? "",
      ...(k.initrd !== undefined ? { initrd: k.initrd } : {}),
      ...(k.cmdline !== undefined ? { cmdline: k.cmdline } : {}),
    };
  }
  return out;
}
