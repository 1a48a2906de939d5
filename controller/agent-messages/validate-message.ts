import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { Hello__Output } from "../../generated/proto/fleet/v1/Hello.js";
import type { PlanResult__Output } from "../../generated/proto/fleet/v1/PlanResult.js";
import { MAX_FACTS_BYTES, ProtocolError, type Disruption, type FieldChange } from "../../common/index.js";
import { EVENT_LIMITS, MAX_REPORT_DURATION_MS, validateOutcome } from "./validate-event.js";
import type { ValidOutcome } from "./types.js";

/** Host names: DNS-like, 1-253 characters of letters, digits, `.`, `-`, `_`. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

export interface ValidHello {
  hostName: string;
  agentVersion: string;
  factsJson: string;
  factsFingerprint: string;
  lastControllerSeq: number;
}

/**
 * Checks the envelope of a message from an agent: a body is set, `seq` is a positive safe
 * integer strictly greater than `lastSeq` (per stream), `ack` does not claim messages the
 * controller never sent. `lastSentSeq` is undefined before the Hello, when the host (and so
 * its controller sequence, which survives restarts) is not known yet. Throws ProtocolError
 * saying what is wrong.
 */
export function validateEnvelope(msg: AgentMessage__Output, lastSeq: number, lastSentSeq: number | undefined): void {
  if (!msg.body) throw new ProtocolError("message has no body (expected hello, heartbeat or factsUpdate)");
  if (!Number.isSafeInteger(msg.seq) || msg.seq <= 0)
    throw new ProtocolError(`message seq ${msg.seq} is not a positive integer`);
  if (msg.seq <= lastSeq) throw new ProtocolError(`message seq ${msg.seq} does not increase (last was ${lastSeq})`);
  if (!Number.isSafeInteger(msg.ack) || msg.ack < 0)
    throw new ProtocolError(`message ack ${msg.ack} is not a non-negative integer`);
  if (lastSentSeq !== undefined && msg.ack > lastSentSeq) {
    throw new ProtocolError(`message acks controller seq ${msg.ack}, but only ${lastSentSeq} were sent`);
  }
}

/** Validates a Hello's content. Throws ProtocolError naming the bad field. */
export function validateHello(h: Hello__Output): ValidHello {
  if (!HOST_NAME.test(h.hostName))
    throw new ProtocolError(`hello.hostName "${truncate(h.hostName)}" is not a valid host name`);
  if (h.agentVersion.length === 0 || h.agentVersion.length > 64)
    throw new ProtocolError("hello.agentVersion must be 1-64 characters");
  const factsJson = validateFactsJson(h.factsJson, "hello.factsJson");
  const factsFingerprint = validateFingerprint(h.factsFingerprint, "hello.factsFingerprint");
  if (!Number.isSafeInteger(h.lastControllerSeq) || h.lastControllerSeq < 0) {
    throw new ProtocolError("hello.lastControllerSeq must be a non-negative integer");
  }
  return {
    hostName: h.hostName,
    agentVersion: h.agentVersion,
    factsJson,
    factsFingerprint,
    lastControllerSeq: h.lastControllerSeq,
  };
}

/** Facts must be a JSON object of at most MAX_FACTS_BYTES. Returns the text unchanged. */
export function validateFactsJson(text: string, field: string): string {
  if (Buffer.byteLength(text, "utf8") > MAX_FACTS_BYTES)
    throw new ProtocolError(`${field} is larger than ${MAX_FACTS_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(`${field} is not valid JSON`, { cause: err });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new ProtocolError(`${field} must be a JSON object`);
  return text;
}

export function validateFingerprint(text: string, field: string): string {
  if (!/^[A-Za-z0-9:+/=_-]{0,128}$/.test(text))
    throw new ProtocolError(`${field} must be at most 128 characters of [A-Za-z0-9:+/=_-]`);
  return text;
}

/** One resource of a PlanResult, its changes parsed and checked. */
export interface PlanOutcome extends Omit<ValidOutcome, "changesJson"> {
  changes: FieldChange[];
}

/** A validated PlanResult: either `error` (and no resources) or the dry-run's outcomes. */
export interface ValidPlanResult {
  commandId: string;
  bundleRevision: string;
  resources: PlanOutcome[];
  error: string;
  durationMs: number;
}

const COMMAND_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const DISRUPTIONS: readonly Disruption[] = ["live", "restart", "recreate"];
const MAX_PLAN_REVISION_CHARS = 256;

/**
 * Validates a PlanResult. Resources are checked as Report's (validateOutcome: kinds,
 * outcomes, bounded names, error text and changesJson); beyond that each change must be
 * a FieldChange (an object with a string `field` and a known `disruption`), because the
 * plan is aggregated from them. A result with both `error` and resources is refused.
 * Throws ProtocolError naming the field.
 */
export function validatePlanResult(r: PlanResult__Output): ValidPlanResult {
  if (!COMMAND_ID.test(r.commandId))
    throw new ProtocolError("planResult.commandId must be 1-128 characters of [A-Za-z0-9._:-]");
  if (r.bundleRevision.length > MAX_PLAN_REVISION_CHARS || /[\u0000-\u001f\u007f]/.test(r.bundleRevision)) {
    throw new ProtocolError(
      `planResult.bundleRevision must be at most ${MAX_PLAN_REVISION_CHARS} characters without control characters`,
    );
  }
  if (Buffer.byteLength(r.error, "utf8") > EVENT_LIMITS.textBytes)
    throw new ProtocolError(`planResult.error is larger than ${EVENT_LIMITS.textBytes} bytes`);
  if (!Number.isSafeInteger(r.durationMs) || r.durationMs < 0 || r.durationMs > MAX_REPORT_DURATION_MS) {
    throw new ProtocolError(`planResult.durationMs must be an integer from 0 to ${MAX_REPORT_DURATION_MS}`);
  }
  if (r.resources.length > EVENT_LIMITS.resourcesPerReport) {
    throw new ProtocolError(
      `planResult.resources has ${r.resources.length} entries (at most ${EVENT_LIMITS.resourcesPerReport})`,
    );
  }
  if (r.error !== "" && r.resources.length > 0)
    throw new ProtocolError("planResult carries both an error and resources");
  const resources = r.resources.map((o, i): PlanOutcome => {
    const at = `planResult.resources[${i}]`;
    const { changesJson, ...rest } = validateOutcome(o, at);
    return { ...rest, changes: fieldChanges(JSON.parse(changesJson) as unknown[], `${at}.changesJson`) };
  });
  return {
    commandId: r.commandId,
    bundleRevision: r.bundleRevision,
    resources,
    error: r.error,
    durationMs: r.durationMs,
  };
}

function fieldChanges(items: unknown[], at: string): FieldChange[] {
  return items.map((c, i): FieldChange => {
    if (c === null || typeof c !== "object" || Array.isArray(c))
      throw new ProtocolError(`${at}[${i}] is not an object`);
    const { field, from, to, disruption, destructive } = c as Record<string, unknown>;
    if (typeof field !== "string" || field.length > EVENT_LIMITS.nameChars)
      throw new ProtocolError(`${at}[${i}].field must be a string of at most ${EVENT_LIMITS.nameChars} characters`);
    if (!DISRUPTIONS.includes(disruption as Disruption))
      throw new ProtocolError(`${at}[${i}].disruption must be one of ${DISRUPTIONS.join("|")}`);
    const change: FieldChange = { field, from: from ?? null, to: to ?? null, disruption: disruption as Disruption };
    if (destructive === true) change.destructive = true;
    return change;
  });
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
