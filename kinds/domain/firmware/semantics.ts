import type { PathSegment } from "../../../policy-primitives/issues.js";
import { checkAbsolutePath, controlCharProblem } from "../../../policy-primitives/names.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";

/**
 * A domain's firmware and boot beyond the schema:
 * - `kernel` needs `path` (an initrd or a command line without a kernel is an error); kernel
 *   and initrd paths are absolute and normalised; the command line is free text without
 *   control characters and without white space at either end (XML parsers trim it).
 */
export function checkFirmwareDocument(d: DomainDocument, path: PathSegment[], c: ValueChecker): void {
  if (d.kernel !== undefined) checkKernel(d.kernel, [...path, "kernel"], c);
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
