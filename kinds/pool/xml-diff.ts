/**
 * Desired pool spec vs parsed actual XML: a different type or target path is `recreate` (the
 * pool is another directory; not destructive: volumes in the old directory stay on disk); a
 * different UUID (`opts.uuid`) is `recreate`. autostart/state are not XML (the engine's job).
 */
import type { FieldChange } from "../../common/changes.js";
import type { ParsedPool } from "./parsed.js";
import type { PoolSpec } from "./spec.js";

export function diffPool(desired: PoolSpec, actual: ParsedPool, opts: { uuid?: string } = {}): FieldChange[] {
  const out: FieldChange[] = [];
  if (opts.uuid !== undefined && actual.uuid !== null && actual.uuid !== opts.uuid.toLowerCase()) {
    out.push({ field: "uuid", from: actual.uuid, to: opts.uuid.toLowerCase(), disruption: "recreate" });
  }
  if (actual.type !== desired.type)
    out.push({ field: "type", from: actual.type, to: desired.type, disruption: "recreate" });
  if (actual.path !== desired.path)
    out.push({ field: "path", from: actual.path, to: desired.path, disruption: "recreate" });
  return out;
}
