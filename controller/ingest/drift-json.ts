import type { DriftJson } from "../../common/index.js";
import type { DriftView } from "../agent-messages/index.js";

export type { DriftJson };

export function driftToJson(d: DriftView): DriftJson {
  return {
    id: d.id,
    host: d.host,
    policy: d.policy,
    kind: d.kind,
    name: d.name,
    fields: d.fields.map((f) => ({ field: f.field, desired: f.desired, actual: f.actual })),
    detectedAt: new Date(d.detectedAt).toISOString(),
    source: d.source,
    remediation: d.remediation,
    ...(d.resolvedAt !== null ? { resolvedAt: new Date(d.resolvedAt).toISOString() } : {}),
    classification: d.classification,
    ...(d.detail ? { detail: d.detail } : {}),
  };
}
