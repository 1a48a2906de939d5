/**
 * Versions of the agent stream protocol (proto/fleet/v1/agent.proto, header comment).
 *
 * Contract:
 * - 0: field changes and drift values travel as JSON text (`changes_json`, `desired_json`,
 *   `actual_json`); what agents and controllers built before versioning speak (proto3's
 *   default when Hello/Welcome.protocol_version is absent).
 * - 1: they travel as typed messages (FieldChange, DriftField.desired/actual as JsonValue).
 * - 2: ResourceOutcome.outcome may be any of RESOURCE_OUTCOMES (common/wire/states.ts): also
 *   `blocked`, `conflict`, `suppressed` and `pending-restart`. Before 2 only ok, changed, drift,
 *   failed and skipped travel (outcomes.ts maps the others down; `pending_restart` flags the
 *   restart, and a controller reads ok/changed with that flag as `pending-restart`).
 * The agent says the highest version it speaks in Hello; the controller answers the version
 * of the stream in Welcome (the lower of the two) and both use it for everything after.
 * A controller accepts every version from MIN_ACCEPTED_PROTOCOL_VERSION on.
 */
export const PROTOCOL_VERSION = 2;
/** The previous version stays accepted for one release after PROTOCOL_VERSION shipped. */
export const MIN_ACCEPTED_PROTOCOL_VERSION = 0;

export type ProtocolVersion = 0 | 1 | 2;

/** The version a stream speaks when one side speaks up to `peer` (unknown newer versions count as ours). */
export function negotiateProtocol(peer: number): ProtocolVersion {
  return Math.max(MIN_ACCEPTED_PROTOCOL_VERSION, Math.min(PROTOCOL_VERSION, Math.trunc(peer) || 0)) as ProtocolVersion;
}

/** Version ≥ 1: typed field changes and drift values instead of JSON text. */
export function speaksTypedChanges(version: number): boolean {
  return version >= 1;
}

/** Version ≥ 2: every outcome of RESOURCE_OUTCOMES travels as it is. */
export function speaksAllOutcomes(version: number): boolean {
  return version >= 2;
}
