/** The firmware and boot area's diff. */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedFirmware } from "./parsed.js";

export function diffFirmware(_desired: DomainSpec, _actual: ParsedFirmware, _add: AddChange): void {}
