import type { PathSegment } from "../../../policy-primitives/issues.js";
import { checkAbsolutePath, controlCharProblem } from "../../../policy-primitives/names.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";
import { machineFamily } from "./machines.js";

/**
 * A domain's firmware and boot beyond the schema:
 * - `secureBoot: true` needs `firmware: uefi` and a q35 machine (an explicit pc/i440fx or
 *   other machine is an error at `machine`; without one the resolver picks q35);
 * - `firmware: uefi` needs a q35 or pc (i440fx) machine (OVMF does not run on microvm, isapc…);
 * - `boot` lists each device type once and at least one; a domain may not use both `boot` and
 *   per-device boot order (`disks[].bootIndex`, `interfaces[].bootIndex`, when those fields
 *   exist): libvirt refuses `<boot dev>` together with `<boot order>` on devices;
 * - `kernel` needs `path` (an initrd or a command line without a kernel is an error); kernel
 *   and initrd paths are absolute and normalised; the command line is free text without
 *   control characters and without white space at either end (XML parsers trim it).
 */
export function checkFirmwareDocument(d: DomainDocument, path: PathSegment[], c: ValueChecker): void {
  if (d.secureBoot === true && d.firmware !== "uefi")
    c.issues.add([...path, "secureBoot"], "Secure Boot needs firmware: uefi");
  const machine = c.concrete(d.machine);
  if (machine !== undefined) {
    const family = machineFamily(machine);
    if (d.secureBoot === true && d.firmware === "uefi" && family !== "q35")
      c.issues.add(
        [...path, "machine"],
        `secureBoot needs a q35 machine (SMM); ${JSON.stringify(machine)} cannot do Secure Boot (leave machine out to get q35)`,
      );
    else if (d.firmware === "uefi" && family === "other")
      c.issues.add(
        [...path, "machine"],
        `firmware uefi needs a q35 or pc (i440fx) machine; OVMF does not run on ${JSON.stringify(machine)}`,
      );
  }
  if (d.boot !== undefined) checkBoot(d, [...path, "boot"], c);
  if (d.kernel !== undefined) checkKernel(d.kernel, [...path, "kernel"], c);
}

function checkBoot(d: DomainDocument, at: PathSegment[], c: ValueChecker): void {
  const boot = d.boot ?? [];
  if (boot.length === 0) c.issues.add(at, "list at least one device (disk, cdrom, network), or leave boot out");
  const seen = new Set<string>();
  boot.forEach((b, i) => {
    if (seen.has(b)) c.issues.add([...at, i], `${b} is listed twice`);
    seen.add(b);
  });
  // Per-device boot order belongs to the disks and NICs areas; read defensively (the fields may not exist).
  const withIndex = (list: unknown, name: string): string[] =>
    Array.isArray(list)
      ? list.flatMap((x, i) =>
          x !== null && typeof x === "object" && (x as { bootIndex?: unknown }).bootIndex !== undefined
            ? [`${name}[${i}].bootIndex`]
            : [],
        )
      : [];
  const doc = d as { disks?: unknown; interfaces?: unknown };
  const clash = [...withIndex(doc.disks, "disks"), ...withIndex(doc.interfaces, "interfaces")];
  if (clash.length > 0)
    c.issues.add(
      at,
      `boot cannot be used together with per-device boot order (${clash.join(", ")}): libvirt refuses both; use one or the other`,
    );
}

function checkKernel(k: NonNullable<DomainDocument["kernel"]>, at: PathSegment[], c: ValueChecker): void {
  if (k.path === undefined) {
    const given = [k.initrd !== undefined ? "initrd" : null, k.cmdline !== undefined ? "cmdline" : null].filter(
      Boolean,
    );
    c.issues.add(
      at,
      given.length > 0
        ? `${given.join(" and ")} without a kernel: kernel.path is required`
        : "kernel.path is required (the kernel image to boot)",
    );
  }
  for (const key of ["path", "initrd"] as const) {
    const s = c.concrete(k[key]);
    if (s === undefined) continue;
    const problem = checkAbsolutePath(s);
    if (problem) c.issues.add([...at, key], problem);
  }
  const cmdline = c.concrete(k.cmdline);
  if (cmdline !== undefined) {
    const bad = controlCharProblem(cmdline);
    if (bad) c.issues.add([...at, "cmdline"], bad);
    else if (cmdline !== cmdline.trim())
      c.issues.add([...at, "cmdline"], "must not start or end with white space (XML parsers trim it)");
  }
}
