import type { DriftField, DriftField__Output } from "../../generated/proto/fleet/v1/DriftField.js";
import type { DriftRecord, DriftRecord__Output } from "../../generated/proto/fleet/v1/DriftRecord.js";
import type { FieldChange } from "../changes.js";
import { fromJsonValue, toJsonValue } from "./json-value.js";
import { speaksTypedChanges } from "./protocol.js";

/**
 * The one drift mapper: every conversion between the shapes a drift event takes on its way
 * from the agent's engine to `virtfleet drift --json` lives here.
 *
 *   FieldChange[] (engine)                          ──driftFieldsOfChanges──▶ StoredDriftField[]
 *   StoredDriftField[] (agent outbox, protocol 0)   ──encodeDriftFields────▶ DriftField[] (wire, by protocol)
 *   DriftField (wire)                               ──decodeDriftFields────▶ DriftFieldValue[] (controller)
 *   DriftFieldValue[]                               ◀─drift_events.fields_json─▶ (driftFieldsToText / …FromText)
 *   DriftState (controller's stored view)           ──driftStateToRecord───▶ DriftRecord (admin API)
 *   DriftRecord (admin API)                         ──driftRecordToJson────▶ DriftJson (`drift --json`)
 *   DriftState                                      ──driftStateToJson─────▶ DriftJson (webhooks)
 */

/**
 * One drift field as the agent records it in its outbox (and as protocol 0 sends it): the
 * values as JSON text, so two states compare by text. Rows written by earlier agents have
 * this shape too.
 */
export interface StoredDriftField {
  field: string;
  desiredJson: string;
  actualJson: string;
}

/** One drift field with its values: desired (the policy's) and actual (the host's). */
export interface DriftFieldValue {
  field: string;
  desired: unknown;
  actual: unknown;
}

/** A drift event's latest state as the controller stores and shows it. Times: ms since the epoch. */
export interface DriftState {
  id: string;
  host: string;
  policy: string;
  kind: string;
  name: string;
  fields: DriftFieldValue[];
  detectedAt: number;
  source: string;
  remediation: string;
  resolvedAt: number | null;
  classification: string;
  detail: string;
}

/** One element of `virtfleet drift --json` (spec/cli.md), plus classification and detail. */
export interface DriftJson {
  id: string;
  host: string;
  policy: string;
  kind: string;
  name: string;
  fields: DriftFieldValue[];
  detectedAt: string;
  source: string;
  remediation: string;
  resolvedAt?: string;
  classification: string;
  detail?: string;
}

/** Field changes as drift fields: desired = the change's `to`, actual = its `from`. */
export function driftFieldsOfChanges(changes: readonly FieldChange[]): StoredDriftField[] {
  return changes.map((c) => ({ field: c.field, desiredJson: jsonText(c.to), actualJson: jsonText(c.from) }));
}

/** The agent's recorded fields for a stream of `protocol`: JSON text (0) or typed values (≥ 1), never both. */
export function encodeDriftFields(fields: readonly StoredDriftField[], protocol: number): DriftField[] {
  if (!speaksTypedChanges(protocol))
    return fields.map((f) => ({ field: f.field, desiredJson: f.desiredJson, actualJson: f.actualJson }));
  return fields.map((f) => ({
    field: f.field,
    desired: toJsonValue(parseOwnJson(f.desiredJson)),
    actual: toJsonValue(parseOwnJson(f.actualJson)),
  }));
}

/**
 * Received drift fields as values. Protocol 0 reads the JSON text through `parseText` (the
 * receiver's bounded parser: "" = null); protocol ≥ 1 the typed values (ProtocolError when
 * too deep). `at` names each field in errors (`${at}[i].desired`).
 */
export function decodeDriftFields(
  fields: readonly DriftField__Output[],
  protocol: number,
  at: string,
  parseText: (text: string, at: string) => unknown,
): DriftFieldValue[] {
  return fields.map((f, i) =>
    speaksTypedChanges(protocol)
      ? {
          field: f.field,
          desired: fromJsonValue(f.desired, `${at}[${i}].desired`),
          actual: fromJsonValue(f.actual, `${at}[${i}].actual`),
        }
      : {
          field: f.field,
          desired: f.desiredJson === "" ? null : parseText(f.desiredJson, `${at}[${i}].desiredJson`),
          actual: f.actualJson === "" ? null : parseText(f.actualJson, `${at}[${i}].actualJson`),
        },
  );
}

/** The controller's column text for a drift's fields (drift_events.fields_json). */
export function driftFieldsToText(fields: readonly DriftFieldValue[]): string {
  return JSON.stringify(fields);
}

/** Reads drift_events.fields_json back (written by driftFieldsToText). */
export function driftFieldsFromText(text: string): DriftFieldValue[] {
  const v = JSON.parse(text) as unknown;
  return Array.isArray(v)
    ? v.map((f: Partial<DriftFieldValue>) => ({
        field: String(f.field ?? ""),
        desired: f.desired ?? null,
        actual: f.actual ?? null,
      }))
    : [];
}

/** The admin API's record of a stored drift state. */
export function driftStateToRecord(d: DriftState): DriftRecord {
  return {
    id: d.id,
    host: d.host,
    policy: d.policy,
    kind: d.kind,
    name: d.name,
    fields: d.fields.map((f) => ({ field: f.field, desired: toJsonValue(f.desired), actual: toJsonValue(f.actual) })),
    detectedAt: new Date(d.detectedAt).toISOString(),
    source: d.source,
    remediation: d.remediation,
    resolvedAt: d.resolvedAt === null ? "" : new Date(d.resolvedAt).toISOString(),
    classification: d.classification,
    detail: d.detail,
  };
}

/** `drift --json`'s element for an admin API record (the CLI's side). */
export function driftRecordToJson(d: DriftRecord__Output): DriftJson {
  return {
    id: d.id,
    host: d.host,
    policy: d.policy,
    kind: d.kind,
    name: d.name,
    fields: d.fields.map((f) => ({
      field: f.field,
      desired: fromJsonValue(f.desired, "drift.fields.desired", Number.POSITIVE_INFINITY),
      actual: fromJsonValue(f.actual, "drift.fields.actual", Number.POSITIVE_INFINITY),
    })),
    detectedAt: d.detectedAt,
    source: d.source,
    remediation: d.remediation,
    ...(d.resolvedAt ? { resolvedAt: d.resolvedAt } : {}),
    classification: d.classification,
    ...(d.detail ? { detail: d.detail } : {}),
  };
}

/** `drift --json`'s element for a stored drift state (webhook payloads). */
export function driftStateToJson(d: DriftState): DriftJson {
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

function jsonText(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v);
}

/** The agent's own recorded JSON text; unreadable text (never written by this code) reads as null. */
function parseOwnJson(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
