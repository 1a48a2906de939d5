import type { DriftEvent__Output } from "../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report__Output } from "../../generated/proto/fleet/v1/Report.js";
import type { ResourceOutcome__Output } from "../../generated/proto/fleet/v1/ResourceOutcome.js";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import { ProtocolError, redactChange, redactDeep, scrubSecrets } from "../../common/index.js";
import {
  decodeDriftFields,
  decodeOutcomeChanges,
  receivedOutcome,
  speaksTypedChanges,
} from "../../common/wire/index.js";
import {
  CLASSIFICATIONS,
  DRIFT_SOURCES,
  OUTCOMES,
  REMEDIATIONS,
  RESOURCE_KINDS,
  TRIGGERS,
  type AgentEvent,
  type DriftFieldValue,
  type ValidDrift,
  type ValidOutcome,
  type ValidReport,
} from "./types.js";

/** Bounds on what one event may carry; anything larger is a protocol error. */
export const EVENT_LIMITS = {
  resourcesPerReport: 10_000,
  fieldsPerDrift: 1_000,
  nameChars: 253,
  revisionChars: 128,
  textBytes: 8 * 1024,
  jsonBytes: 256 * 1024,
} as const;

const DRIFT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Validates a Report or DriftEvent message body and returns it in stored form. Throws
 * ProtocolError naming the field, so the stream that sent it is reset.
 *
 * Secrets never get stored (and so never reach `drift --json`, `host --json`, webhooks or
 * logs), whatever the agent sent: values of secret fields (`…passwordHash`, tokens, keys:
 * `isSecretField`) become "[redacted]", and secret-shaped text (crypt hashes, PEM private
 * keys, URL credentials) is scrubbed from every other value, error and detail.
 *
 * `protocol` is the stream's version (common/wire/protocol.ts): 0 reads field changes and
 * drift values from their JSON text fields, ≥ 1 from the typed fields; either way the result
 * is the same stored form.
 */
export function validateAgentEvent(msg: AgentMessage__Output, protocol = 0): AgentEvent {
  if (msg.body === "report" && msg.report) {
    const report = validateReport(msg.report, protocol);
    return { type: "report", eventSeq: report.eventSeq, report };
  }
  if (msg.body === "drift" && msg.drift) {
    const drift = validateDrift(msg.drift, protocol);
    return { type: "drift", eventSeq: drift.eventSeq, drift };
  }
  throw new ProtocolError(`expected a report or drift event, got ${msg.body ?? "no body"}`);
}

export function validateReport(r: Report__Output, protocol = 0): ValidReport {
  const eventSeq = positiveInt(r.eventSeq, "report.eventSeq");
  if (r.resources.length > EVENT_LIMITS.resourcesPerReport) {
    throw new ProtocolError(
      `report.resources has ${r.resources.length} entries (at most ${EVENT_LIMITS.resourcesPerReport})`,
    );
  }
  // A report's outcomes are the host's state: ok/changed + pending_restart from an agent before protocol 2 is `pending-restart`.
  const resources = r.resources.map((o, i) => {
    const v = validateOutcome(o, `report.resources[${i}]`, protocol);
    return { ...v, outcome: receivedOutcome(v.outcome, v.pendingRestart, protocol) };
  });
  return {
    eventSeq,
    generation: nonNegativeInt(r.generation, "report.generation"),
    bundleRevision: revision(r.bundleRevision, "report.bundleRevision"),
    trigger: oneOf(r.trigger, TRIGGERS, "report.trigger"),
    startedAt: r.startedAtMs === 0 ? 0 : timestamp(r.startedAtMs, "report.startedAtMs"),
    durationMs: boundedInt(r.durationMs, MAX_REPORT_DURATION_MS, "report.durationMs"),
    dryRun: r.dryRun === true,
    resources,
  };
}

/**
 * Validates one ResourceOutcome (of a Report or a PlanResult; `at` names it in errors):
 * known kind and outcome, bounded names and error text, and the changes: protocol 0 a bounded
 * JSON array in changesJson ("" = none), protocol ≥ 1 typed FieldChanges (checked field names
 * and disruptions, bounded values). Stored as JSON text either way. Throws ProtocolError
 * naming the field.
 */
export function validateOutcome(o: ResourceOutcome__Output, at: string, protocol = 0): ValidOutcome {
  return {
    kind: oneOf(o.kind, RESOURCE_KINDS, `${at}.kind`),
    name: name(o.name, `${at}.name`, true),
    policy: name(o.policy, `${at}.policy`, false),
    outcome: oneOf(o.outcome, OUTCOMES, `${at}.outcome`),
    changesJson: speaksTypedChanges(protocol)
      ? typedChanges(o, at, protocol)
      : jsonArray(o.changesJson, `${at}.changesJson`),
    error: scrubSecrets(text(o.error, `${at}.error`)),
    pendingRestart: o.pendingRestart === true,
  };
}

export function validateDrift(d: DriftEvent__Output, protocol = 0): ValidDrift {
  const eventSeq = positiveInt(d.eventSeq, "drift.eventSeq");
  if (!DRIFT_ID.test(d.id)) throw new ProtocolError("drift.id must be 1-128 characters of [A-Za-z0-9._:-]");
  if (d.fields.length > EVENT_LIMITS.fieldsPerDrift) {
    throw new ProtocolError(`drift.fields has ${d.fields.length} entries (at most ${EVENT_LIMITS.fieldsPerDrift})`);
  }
  d.fields.forEach((f, i) => name(f.field, `drift.fields[${i}].field`, true));
  const fields = decodeDriftFields(d.fields, protocol, "drift.fields", parseJson).map((f, i): DriftFieldValue => {
    if (speaksTypedChanges(protocol)) {
      bounded(f.desired, `drift.fields[${i}].desired`);
      bounded(f.actual, `drift.fields[${i}].actual`);
    }
    return redactChange(f);
  });
  const resolved = d.resolvedAtMs === 0 ? 0 : timestamp(d.resolvedAtMs, "drift.resolvedAtMs");
  return {
    eventSeq,
    id: d.id,
    policy: name(d.policy, "drift.policy", true),
    kind: oneOf(d.kind, RESOURCE_KINDS, "drift.kind"),
    name: name(d.name, "drift.name", true),
    fields,
    detectedAt: timestamp(d.detectedAtMs, "drift.detectedAtMs"),
    source: oneOf(d.source, DRIFT_SOURCES, "drift.source"),
    remediation: oneOf(d.remediation, REMEDIATIONS, "drift.remediation"),
    resolvedAt: resolved === 0 ? null : resolved,
    classification: oneOf(d.classification, CLASSIFICATIONS, "drift.classification"),
    detail: scrubSecrets(text(d.detail, "drift.detail")),
  };
}

/** Latest instant a timestamp may name (JavaScript's Date range ends at 8.64e15 ms). */
export const MAX_TIMESTAMP_MS = 8.64e15;
/** Deepest nesting accepted in a JSON field (deeper values cannot be re-serialised safely). */
export const MAX_JSON_DEPTH = 32;

/** A positive millisecond timestamp that Date can represent. */
function timestamp(v: number, field: string): number {
  positiveInt(v, field);
  if (v > MAX_TIMESTAMP_MS) throw new ProtocolError(`${field} ${v} is not a representable time`);
  return v;
}

/** Depth of a parsed JSON value, computed without recursion. */
function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d > max) max = d;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return max;
}

/** A run longer than a week is not a real report. */
export const MAX_REPORT_DURATION_MS = 7 * 24 * 3_600_000;

function boundedInt(v: number, max: number, field: string): number {
  nonNegativeInt(v, field);
  if (v > max) throw new ProtocolError(`${field} ${v} exceeds ${max}`);
  return v;
}

function positiveInt(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new ProtocolError(`${field} must be a positive integer, got ${String(v)}`);
  return v;
}

function nonNegativeInt(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new ProtocolError(`${field} must be a non-negative integer, got ${String(v)}`);
  return v;
}

function oneOf<T extends string>(v: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(v))
    throw new ProtocolError(`${field} must be one of ${allowed.join("|")}, got "${clip(v)}"`);
  return v as T;
}

function name(v: string, field: string, required: boolean): string {
  if (required && v.length === 0) throw new ProtocolError(`${field} must not be empty`);
  if (v.length > EVENT_LIMITS.nameChars)
    throw new ProtocolError(`${field} is longer than ${EVENT_LIMITS.nameChars} characters`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new ProtocolError(`${field} contains control characters`);
  return v;
}

function revision(v: string, field: string): string {
  if (!/^[A-Za-z0-9:._-]*$/.test(v) || v.length > EVENT_LIMITS.revisionChars) {
    throw new ProtocolError(`${field} must be at most ${EVENT_LIMITS.revisionChars} characters of [A-Za-z0-9:._-]`);
  }
  return v;
}

function text(v: string, field: string): string {
  if (Buffer.byteLength(v, "utf8") > EVENT_LIMITS.textBytes)
    throw new ProtocolError(`${field} is larger than ${EVENT_LIMITS.textBytes} bytes`);
  return v;
}

function parseJson(v: string, field: string): unknown {
  if (Buffer.byteLength(v, "utf8") > EVENT_LIMITS.jsonBytes)
    throw new ProtocolError(`${field} is larger than ${EVENT_LIMITS.jsonBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(v) as unknown;
  } catch (err) {
    throw new ProtocolError(`${field} is not valid JSON`, { cause: err });
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw new ProtocolError(`${field} nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** A typed value (protocol ≥ 1) serialises to at most EVENT_LIMITS.jsonBytes, as protocol 0's text must. */
function bounded(value: unknown, field: string): void {
  if (Buffer.byteLength(JSON.stringify(value) ?? "null", "utf8") > EVENT_LIMITS.jsonBytes)
    throw new ProtocolError(`${field} is larger than ${EVENT_LIMITS.jsonBytes} bytes`);
}

/** Protocol ≥ 1: the typed changes, checked, redacted and bounded, as stored JSON text. */
function typedChanges(o: ResourceOutcome__Output, at: string, protocol: number): string {
  const changes = decodeOutcomeChanges(o, protocol, at, parseJson).map((c) => redactChange(c));
  const text = JSON.stringify(changes);
  if (Buffer.byteLength(text, "utf8") > EVENT_LIMITS.jsonBytes)
    throw new ProtocolError(`${at}.changes is larger than ${EVENT_LIMITS.jsonBytes} bytes`);
  return text;
}

/**
 * An empty string means "no changes"; anything else must be a JSON array. Returns JSON text,
 * with secret values redacted (`redactChange`); the text as sent when there were none.
 */
function jsonArray(v: string, field: string): string {
  if (v === "") return "[]";
  const changes = parseJson(v, field);
  if (!Array.isArray(changes)) throw new ProtocolError(`${field} must be a JSON array`);
  const redacted = changes.map((c: unknown) =>
    c !== null && typeof c === "object" && typeof (c as { field?: unknown }).field === "string"
      ? redactChange(c as { field: string })
      : redactDeep(c),
  );
  const out = JSON.stringify(redacted);
  return out === JSON.stringify(changes) ? v : out;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
