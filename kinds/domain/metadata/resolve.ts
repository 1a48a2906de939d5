import type { DomainDocument, DomainSpec } from "../spec.js";

/** The description, left out when not set (so the spec hash of a guest without one is unchanged). */
export function resolveMetadata(d: DomainDocument): Pick<DomainSpec, "description"> {
  return d.description !== undefined ? { description: d.description } : {};
}
