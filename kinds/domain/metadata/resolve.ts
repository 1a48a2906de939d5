import type { DomainDocument, DomainSpec } from "../spec.js";

/**
 * Title and description, each left out when not set (so the spec hash of a guest without one
 * is unchanged); labels left out when there are none.
 */
export function resolveMetadata(d: DomainDocument): Pick<DomainSpec, "title" | "description" | "labels"> {
  return {
    ...(d.title !== undefined ? { title: d.title } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.labels !== undefined && Object.keys(d.labels).length > 0 ? { labels: { ...d.labels } } : {}),
  };
}
