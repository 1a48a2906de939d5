/** The devices area's diff: graphics (`restart`). */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedDevices } from "./parsed.js";

export function diffDevices(desired: DomainSpec, actual: ParsedDevices, add: AddChange): void {
  const gotGraphics = describeGraphics(actual);
  if (gotGraphics !== desired.graphics) add("graphics", gotGraphics, desired.graphics, "restart");
}

/** `none`, `vnc` (exactly one VNC on 127.0.0.1), or a description such as `vnc@0.0.0.0`, `spice`. */
function describeGraphics(actual: ParsedDevices): string {
  if (actual.graphics.length === 0) return "none";
  return actual.graphics
    .map((g) => (g.type === "vnc" && g.listen === "127.0.0.1" ? "vnc" : g.listen ? `${g.type}@${g.listen}` : g.type))
    .join(",");
}
