import type { DomainDocument, DomainSpec } from "../spec.js";

/**
 * Firmware and boot fields, each left out when not set (absent firmware = bios). Secure Boot
 * needs a q35 machine: with `secureBoot: true` and no `machine`, the machine is `q35`. A
 * kernel without `path` never reaches here (semantics.ts rejects it).
 */
export function resolveFirmware(d: DomainDocument): Partial<DomainSpec> {
  const out: Partial<DomainSpec> = {};
  if (d.firmware !== undefined) out.firmware = d.firmware;
  if (d.secureBoot !== undefined) out.secureBoot = d.secureBoot;
  if (d.secureBoot === true && d.machine === undefined) out.machine = "q35";
  if (d.tpm !== undefined) out.tpm = d.tpm;
  if (d.boot !== undefined) out.boot = [...d.boot];
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
