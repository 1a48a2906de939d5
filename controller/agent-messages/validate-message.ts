import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { Hello__Output } from "../../generated/proto/fleet/v1/Hello.js";
import type { PlanResult__Output } from "../../generated/proto/fleet/v1/PlanResult.js";
import { ProtocolError, type FieldChange } from "../../common/index.js";
import {
  checkFactsJson,
  fieldChangeFromJson,
  negotiateProtocol,
  type ProtocolVersion,
} from "../../common/wire/index.js";
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
  /** The stream's protocol: min(Hello.protocol_version, ours); 0 for pre-versioning agents. */
  protocol: ProtocolVersion;
  /** AgentHealth.degraded_reason ("" = healthy). */
  degradedReason: string;
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
  const version = h.protocolVersion ?? 0;
  if (!Number.isSafeInteger(version) || version < 0)
    throw new ProtocolError("hello.protocolVersion must be a non-negative integer");
  return {
    protocol: negotiateProtocol(version),
    hostName: h.hostName,
    agentVersion: h.agentVersion,
    factsJson,
    factsFingerprint,
    lastControllerSeq: h.lastControllerSeq,
    degradedReason: degradedReasonOf(h.health),
  };
}

/** An AgentHealth's degraded reason ("" = healthy, or absent: an older agent), clipped to 500 characters. */
export function degradedReasonOf(health: { degradedReason?: string } | null | undefined): string {
  const r = typeof health?.degradedReason === "string" ? health.degradedReason : "";
  return r.length > 500 ? `${r.slice(0, 499)}…` : r;
}

/** Facts must meet the facts contract (common/wire/facts-contract.ts). Returns the text unchanged. */
export function validateFactsJson(text: string, field: string): string {
  return checkFactsJson(text, field);
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
const MAX_PLAN_REVISION_CHARS = 256;

/**
 * Validates a PlanResult. Resources are checked as Report's (validateOutcome: kinds,
 * outcomes, bounded names, error text and changesJson); beyond that each change must be
 * a FieldChange (an object with a string `field` and a known `disruption`), because the
 * plan is aggregated from them. A result with both `error` and resources is refused.
 * Throws ProtocolError naming the field.
 */
export function validatePlanResult(r: PlanResult__Output, protocol = 0): ValidPlanResult {
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
    const { changesJson, ...rest } = validateOutcome(o, at, protocol);
    // typed changes (protocol ≥ 1) were checked as FieldChanges already; this re-reads the stored text
    const items = JSON.parse(changesJson) as unknown[];
    return { ...rest, changes: items.map((c, j) => fieldChangeFromJson(c, `${at}.changesJson[${j}]`)) };
  });
  return {
    commandId: r.commandId,
    bundleRevision: r.bundleRevision,
    resources,
    error: r.error,
    durationMs: r.durationMs,
  };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
