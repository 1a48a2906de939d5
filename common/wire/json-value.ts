import type { JsonValue, JsonValue__Output } from "../../generated/proto/fleet/v1/JsonValue.js";
import { ProtocolError } from "../errors.js";

/** Deepest nesting a decoded value may have (as the controller's JSON-text limit). */
export const MAX_JSON_VALUE_DEPTH = 32;

/**
 * A JSON value (what JSON.parse returns) as a proto JsonValue. Follows JSON.stringify's rules:
 * `undefined`, functions and symbols are left out of objects and become null elsewhere,
 * non-finite numbers become null, `toJSON` is honoured; object member order is kept.
 */
export function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return { nullValue: true };
  switch (typeof v) {
    case "boolean":
      return { boolValue: v };
    case "number":
      return Number.isFinite(v) ? { numberValue: v } : { nullValue: true };
    case "string":
      return { stringValue: v };
    case "bigint":
      return { numberValue: Number(v) };
    case "object": {
      const withJson = v as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === "function") return toJsonValue(withJson.toJSON());
      if (Array.isArray(v)) return { listValue: true, items: v.map((x) => toJsonValue(x)) };
      const members = Object.entries(v as Record<string, unknown>).filter(
        ([, x]) => x !== undefined && typeof x !== "function" && typeof x !== "symbol",
      );
      return { objectValue: true, keys: members.map(([k]) => k), items: members.map(([, x]) => toJsonValue(x)) };
    }
    default:
      return { nullValue: true };
  }
}

/**
 * A received JsonValue as a plain JSON value. Absent (null/undefined) or no kind set = null.
 * Throws ProtocolError naming `at` when it nests deeper than `maxDepth`, or an object's keys
 * and items differ in number or repeat a key.
 */
export function fromJsonValue(
  v: JsonValue__Output | JsonValue | null | undefined,
  at: string,
  maxDepth = MAX_JSON_VALUE_DEPTH,
): unknown {
  return decode(v, at, 1, maxDepth);
}

type Kind = NonNullable<JsonValue["kind"]>;
const KINDS: readonly Kind[] = ["nullValue", "boolValue", "numberValue", "stringValue", "listValue", "objectValue"];

/** The oneof member set: `kind` as decoded from the wire, else the one member present (a value built in process). */
function kindOf(v: JsonValue): Kind | undefined {
  return v.kind ?? KINDS.find((k) => v[k] !== undefined && v[k] !== null);
}

/** Decodes received values (JsonValue__Output) and, for tests and in-process use, values built by toJsonValue. */
function decode(v: JsonValue | null | undefined, at: string, depth: number, maxDepth: number): unknown {
  if (!v) return null;
  switch (kindOf(v)) {
    case "boolValue":
      return v.boolValue === true;
    case "numberValue":
      return Number.isFinite(Number(v.numberValue)) ? Number(v.numberValue) : null;
    case "stringValue":
      return v.stringValue ?? "";
    case "listValue":
    case "objectValue":
      if (depth > maxDepth) throw new ProtocolError(`${at} nests deeper than ${maxDepth} levels`);
      if (kindOf(v) === "listValue") return (v.items ?? []).map((x) => decode(x, at, depth + 1, maxDepth));
      return decodeObject(v, at, depth, maxDepth);
    default:
      return null;
  }
}

function decodeObject(v: JsonValue, at: string, depth: number, maxDepth: number): Record<string, unknown> {
  const keys = v.keys ?? [];
  const items = v.items ?? [];
  if (keys.length !== items.length)
    throw new ProtocolError(`${at} is an object with ${keys.length} keys but ${items.length} values`);
  const out: Record<string, unknown> = {};
  keys.forEach((key, i) => {
    if (Object.hasOwn(out, key)) throw new ProtocolError(`${at} repeats the key "${key.slice(0, 40)}"`);
    // defineProperty: a key "__proto__" stays a plain member, as JSON.parse makes it
    Object.defineProperty(out, key, {
      value: decode(items[i], at, depth + 1, maxDepth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return out;
}
