import { driftToJson, type DriftJson, type StoredChanges } from "../ingest/index.js";

/**
 * Body of a webhook POST. `type` says which shape follows (controller/alerts/webhook-config.ts
 * ALERT_TYPES): `drift` for corrective drift, `change` for what a new policy revision changed
 * on purpose (a rollout's planned changes: the drift event's classification is `intentional`),
 * `failure` for a resource that became failed.
 */
export type AlertPayload =
  | { type: "drift"; host: string; drift: DriftJson }
  | { type: "change"; host: string; drift: DriftJson }
  | {
      type: "failure";
      host: string;
      policy: string;
      kind: string;
      name: string;
      error: string;
      eventSeq: number;
      at: string;
    };

/**
 * Alerts for what one ingestion batch changed: every drift event that is new or whose
 * remediation/resolution changed (`drift` when corrective, `change` when intentional: applying
 * a revision is not drift), and every resource that became failed (or whose failure message
 * changed).
 */
export function alertsFor(changes: StoredChanges): AlertPayload[] {
  const out: AlertPayload[] = [];
  for (const c of changes.drift) {
    if (!c.notable) continue;
    const type = c.drift.classification === "intentional" ? "change" : "drift";
    out.push({ type, host: c.drift.host, drift: driftToJson(c.drift) });
  }
  for (const f of changes.failures) {
    out.push({
      type: "failure",
      host: f.host,
      policy: f.policy,
      kind: f.kind,
      name: f.name,
      error: f.error,
      eventSeq: f.eventSeq,
      at: new Date(f.at).toISOString(),
    });
  }
  return out;
}
