import { ProtocolError } from "../errors.js";
import { MAX_FACTS_BYTES } from "../grpc/limits.js";

export { MAX_FACTS_BYTES };

/**
 * The facts contract (Hello.facts_json, FactsUpdate.facts_json, admin HostRecord.facts_json).
 * Facts stay JSON in every protocol version: the tree grows with the collector and policies
 * address it by dotted path. The shape is common/facts.ts HostFacts; on the wire the contract
 * is what this module checks, on both ends (the agent before it sends, the controller when
 * it receives, the CLI when it reads a host record):
 * - UTF-8 JSON text of at most MAX_FACTS_BYTES;
 * - a JSON object (not an array or a scalar).
 */

/** Checks facts text against the contract and returns it unchanged; throws ProtocolError naming `field`. */
export function checkFactsJson(text: string, field: string): string {
  parseFactsJson(text, field);
  return text;
}

/** Facts text parsed, after checking it against the contract; throws ProtocolError naming `field`. */
export function parseFactsJson(text: string, field: string): Record<string, unknown> {
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
  return parsed as Record<string, unknown>;
}
