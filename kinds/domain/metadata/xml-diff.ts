/**
 * The metadata area's diff; every field is `live` on a running guest:
 * - `title`, `description` when the spec manages them: virDomainSetMetadata (type title /
 *   description) on the running guest (live.ts; the description by the resource).
 * - `labels` (absent = none): they live in virtfleet's metadata element, which the resource
 *   rewrites on the running guest after every change (with the spec hash).
 * Labels compare as a map: key order does not matter.
 */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedMetadata } from "./parsed.js";

export function diffMetadata(desired: DomainSpec, actual: ParsedMetadata, add: AddChange): void {
  if (desired.title !== undefined && (actual.title ?? "") !== desired.title)
    add("title", actual.title, desired.title, "live");
  if (desired.description !== undefined && (actual.description ?? "") !== desired.description)
    add("description", actual.description, desired.description, "live");
  const want = desired.labels ?? {};
  if (canonicalLabels(actual.labels) !== canonicalLabels(want)) add("labels", actual.labels, want, "live");
}

function canonicalLabels(l: Record<string, string>): string {
  return JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
