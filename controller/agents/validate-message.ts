import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { Hello__Output } from "../../generated/proto/fleet/v1/Hello.js";
import { MAX_FACTS_BYTES, ProtocolError } from "../../common/index.js";

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
  if (!Number.isSafeInteger(msg.seq) || msg.seq <= 0) throw new ProtocolError(`message seq ${msg.seq} is not a positive integer`);
  if (msg.seq <= lastSeq) throw new ProtocolError(`message seq ${msg.seq} does not increase (last was ${lastSeq})`);
  if (!Number.isSafeInteger(msg.ack) || msg.ack < 0) throw new ProtocolError(`message ack ${msg.ack} is not a non-negative integer`);
  if (lastSentSeq !== undefined && msg.ack > lastSentSeq) {
    throw new ProtocolError(`message acks controller seq ${msg.ack}, but only ${lastSentSeq} were sent`);
  }
}

/** Validates a Hello's content. Throws ProtocolError naming the bad field. */
export function validateHello(h: Hello__Output): ValidHello {
  if (!HOST_NAME.test(h.hostName)) throw new ProtocolError(`hello.hostName "${truncate(h.hostName)}" is not a valid host name`);
  if (h.agentVersion.length === 0 || h.agentVersion.length > 64) throw new ProtocolError("hello.agentVersion must be 1-64 characters");
  const factsJson = validateFactsJson(h.factsJson, "hello.factsJson");
  const factsFingerprint = validateFingerprint(h.factsFingerprint, "hello.factsFingerprint");
  if (!Number.isSafeInteger(h.lastControllerSeq) || h.lastControllerSeq < 0) {
    throw new ProtocolError("hello.lastControllerSeq must be a non-negative integer");
  }
  return { hostName: h.hostName, agentVersion: h.agentVersion, factsJson, factsFingerprint, lastControllerSeq: h.lastControllerSeq };
}

/** Facts must be a JSON object of at most MAX_FACTS_BYTES. Returns the text unchanged. */
export function validateFactsJson(text: string, field: string): string {
  if (Buffer.byteLength(text, "utf8") > MAX_FACTS_BYTES) throw new ProtocolError(`${field} is larger than ${MAX_FACTS_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(`${field} is not valid JSON`, { cause: err });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new ProtocolError(`${field} must be a JSON object`);
  return text;
}

export function validateFingerprint(text: string, field: string): string {
  if (!/^[A-Za-z0-9:+/=_-]{0,128}$/.test(text)) throw new ProtocolError(`${field} must be at most 128 characters of [A-Za-z0-9:+/=_-]`);
  return text;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
