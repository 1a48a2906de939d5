import type { DriftEvent } from "../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report } from "../../generated/proto/fleet/v1/Report.js";
import type { ResourceOutcome, ResourceOutcome__Output } from "../../generated/proto/fleet/v1/ResourceOutcome.js";
import type {
  FieldChange as WireFieldChange,
  FieldChange__Output,
} from "../../generated/proto/fleet/v1/FieldChange.js";
import type { FieldChange } from "../changes.js";
import { ProtocolError } from "../errors.js";
import { decodeFieldChange, encodeFieldChange, fieldChangeFromJson } from "./changes.js";
import { encodeDriftFields, type StoredDriftField } from "./drift.js";
import { fromJsonValue, toJsonValue } from "./json-value.js";
import { speaksAllOutcomes, speaksTypedChanges } from "./protocol.js";
import type { ResourceOutcomeName } from "./states.js";

/**
 * Reports, resource outcomes and drift events between the agent's records and the wire.
 *
 * The agent records events (outbox rows) and plan outcomes in the protocol-0 shape — field
 * changes and drift values as JSON text — which is also what every earlier agent wrote, so
 * rows written before an upgrade are read like new ones. `…ForProtocol` turns a recorded
 * body into what a stream of the negotiated version carries, just before it is sent.
 */

/** A resource outcome as the agent records it (proto ResourceOutcome, protocol-0 shape). */
export interface StoredOutcome {
  kind: string;
  name: string;
  policy: string;
  outcome: string;
  /** FieldChange[] as JSON text ("" = none). */
  changesJson: string;
  error: string;
  pendingRestart: boolean;
}

/**
 * One outcome for a stream of `protocol`: changes_json (0) or typed changes (≥ 1), never both;
 * below protocol 2 an outcome the peer does not know is sent as the nearest one it does
 * (legacyOutcome).
 */
export function outcomeForProtocol(o: ResourceOutcome, protocol: number): ResourceOutcome {
  const down = speaksAllOutcomes(protocol) ? o : legacyOutcome(o);
  if (!speaksTypedChanges(protocol)) return down;
  const { changesJson, ...rest } = down;
  return { ...rest, changes: ownChanges(changesJson ?? "").map(encodeFieldChange) };
}

export function reportForProtocol(r: Report, protocol: number): Report {
  if (!speaksTypedChanges(protocol) && speaksAllOutcomes(protocol)) return r;
  return { ...r, resources: (r.resources ?? []).map((o) => outcomeForProtocol(o, protocol)) };
}

/** What a controller before protocol 2 accepts instead of the outcomes it does not know. */
const LEGACY_OUTCOME: Partial<Record<string, string>> = {
  blocked: "failed",
  conflict: "failed",
  suppressed: "drift",
  "pending-restart": "ok",
};

/** `o` as a protocol 0/1 peer reads it: pending-restart becomes ok with pending_restart set (which it shows). */
function legacyOutcome(o: ResourceOutcome): ResourceOutcome {
  const to = LEGACY_OUTCOME[o.outcome ?? ""];
  if (to === undefined) return o;
  return { ...o, outcome: to, ...(o.outcome === "pending-restart" ? { pendingRestart: true } : {}) };
}

/**
 * The outcome a controller records for a received one: from a peer before protocol 2, ok or
 * changed with pending_restart set is `pending-restart` (what a protocol-2 agent reports).
 */
export function receivedOutcome(
  outcome: ResourceOutcomeName,
  pendingRestart: boolean,
  protocol: number,
): ResourceOutcomeName {
  if (speaksAllOutcomes(protocol) || !pendingRestart) return outcome;
  return outcome === "ok" || outcome === "changed" ? "pending-restart" : outcome;
}

export function driftForProtocol(d: DriftEvent, protocol: number): DriftEvent {
  if (!speaksTypedChanges(protocol)) return d;
  const fields = (d.fields ?? []).map((f) => ({
    field: f.field ?? "",
    desiredJson: f.desiredJson ?? "",
    actualJson: f.actualJson ?? "",
  })) satisfies StoredDriftField[];
  return { ...d, fields: encodeDriftFields(fields, protocol) };
}

/**
 * A received outcome's changes (the controller's side). Protocol 0: `changes_json` parsed by
 * `parseText` (the receiver's bounded parser; "" = none) and each element checked;
 * protocol ≥ 1: the typed changes, checked. Throws ProtocolError naming `${at}.changes…`.
 */
export function decodeOutcomeChanges(
  o: ResourceOutcome__Output,
  protocol: number,
  at: string,
  parseText: (text: string, at: string) => unknown,
): FieldChange[] {
  if (speaksTypedChanges(protocol)) return o.changes.map((c, i) => decodeFieldChange(c, `${at}.changes[${i}]`));
  if (o.changesJson === "") return [];
  const items = parseText(o.changesJson, `${at}.changesJson`);
  if (!Array.isArray(items)) throw new ProtocolError(`${at}.changesJson must be a JSON array`);
  return items.map((c, i) => fieldChangeFromJson(c, `${at}.changesJson[${i}]`));
}

/** The agent's own recorded changes; unreadable text (never written by this code) reads as none. */
function ownChanges(text: string): FieldChange[] {
  if (text === "") return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.flatMap((c, i) => safeChange(c, i)) : [];
  } catch {
    return [];
  }
}

function safeChange(c: unknown, i: number): FieldChange[] {
  try {
    return [fieldChangeFromJson(c, `changes[${i}]`)];
  } catch {
    return [];
  }
}

/**
 * The controller's stored changes text (resource_status.changes_json) as admin API changes.
 * Elements that are not FieldChange-like (an object with a string `field`; possible only from
 * a protocol-0 report, whose elements were not checked) are left out.
 */
export function storedChangesToWire(text: string): WireFieldChange[] {
  let items: unknown;
  try {
    items = JSON.parse(text || "[]");
  } catch {
    return [];
  }
  if (!Array.isArray(items)) return [];
  return items.flatMap((c: unknown) => {
    if (c === null || typeof c !== "object" || typeof (c as { field?: unknown }).field !== "string") return [];
    const { field, from, to, disruption, destructive } = c as Record<string, unknown>;
    return [
      {
        field: field as string,
        from: toJsonValue(from),
        to: toJsonValue(to),
        disruption: typeof disruption === "string" ? disruption : "",
        destructive: destructive === true,
      },
    ];
  });
}

/** Admin API changes as the CLI prints them (`host --json` resources[].changes): FieldChange objects. */
export function wireChangesToJson(changes: readonly FieldChange__Output[]): FieldChange[] {
  return changes.map((c) => ({
    field: c.field,
    from: fromJsonValue(c.from, "changes.from", Number.POSITIVE_INFINITY),
    to: fromJsonValue(c.to, "changes.to", Number.POSITIVE_INFINITY),
    disruption: c.disruption as FieldChange["disruption"],
    ...(c.destructive ? { destructive: true } : {}),
  }));
}
