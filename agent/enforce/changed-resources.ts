import { canonicalJson } from "../../common/canonical-json.js";
import { resourceId, type Resource, type ResourceId } from "../../engine/index.js";
import type { PreparedBundle } from "../run-bundle/index.js";

/**
 * The resources of `after` whose desired state differs from `before` (a new bundle's
 * intentional changes): declared anew, or with another spec, policy, audit flag or
 * removal. A resource whose spec cannot be compared counts as changed. Without `before`
 * every resource counts as changed.
 */
export function changedResources(before: PreparedBundle | undefined, after: PreparedBundle): ResourceId[] {
  const old = new Map((before?.resources ?? []).map((r) => [resourceId(r.kind, r.name), fingerprint(r)]));
  return after.resources.flatMap((r) => {
    const id = resourceId(r.kind, r.name);
    const was = old.get(id);
    return was === undefined || was === null || was !== fingerprint(r) ? [id] : [];
  });
}

/** The desired state of `r` as canonical JSON; null when it cannot be written as JSON. */
function fingerprint(r: Resource): string | null {
  try {
    return canonicalJson({
      policy: r.policy,
      audit: r.audit === true,
      removing: r.removing,
      spec: (r as { spec?: unknown }).spec ?? null,
    });
  } catch {
    return null;
  }
}
