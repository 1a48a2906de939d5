import type {
  FieldChange as WireFieldChange,
  FieldChange__Output,
} from "../../generated/proto/fleet/v1/FieldChange.js";
import type { Disruption, FieldChange } from "../changes.js";
import { ProtocolError } from "../errors.js";
import { fromJsonValue, toJsonValue } from "./json-value.js";

/**
 * The FieldChange contract on the wire (proto fleet.v1.FieldChange, protocol ≥ 1) and in
 * protocol 0's `changes_json` text. The TypeScript type is common/changes.ts FieldChange.
 */

export const DISRUPTIONS: readonly Disruption[] = ["live", "restart", "recreate"];
/** Longest field name a change may carry. */
export const MAX_FIELD_NAME_CHARS = 253;

export function encodeFieldChange(c: FieldChange): WireFieldChange {
  return {
    field: c.field,
    from: toJsonValue(c.from),
    to: toJsonValue(c.to),
    disruption: c.disruption,
    destructive: c.destructive === true,
  };
}

/**
 * One received change, checked: a field name of at most MAX_FIELD_NAME_CHARS characters and a
 * known disruption. `destructive` is present only when true. Throws ProtocolError naming `at`.
 */
export function decodeFieldChange(c: FieldChange__Output, at: string): FieldChange {
  return checkedChange(
    { field: c.field, from: fromJsonValue(c.from, `${at}.from`), to: fromJsonValue(c.to, `${at}.to`) },
    c.disruption,
    c.destructive,
    at,
  );
}

/**
 * Protocol 0: one element of a parsed `changes_json` array, checked as decodeFieldChange
 * checks a typed one. Throws ProtocolError naming `at`.
 */
export function fieldChangeFromJson(c: unknown, at: string): FieldChange {
  if (c === null || typeof c !== "object" || Array.isArray(c)) throw new ProtocolError(`${at} is not an object`);
  const { field, from, to, disruption, destructive } = c as Record<string, unknown>;
  return checkedChange({ field, from: from ?? null, to: to ?? null }, disruption, destructive, at);
}

function checkedChange(
  c: { field: unknown; from: unknown; to: unknown },
  disruption: unknown,
  destructive: unknown,
  at: string,
): FieldChange {
  if (typeof c.field !== "string" || c.field.length > MAX_FIELD_NAME_CHARS)
    throw new ProtocolError(`${at}.field must be a string of at most ${MAX_FIELD_NAME_CHARS} characters`);
  if (!DISRUPTIONS.includes(disruption as Disruption))
    throw new ProtocolError(`${at}.disruption must be one of ${DISRUPTIONS.join("|")}`);
  const change: FieldChange = { field: c.field, from: c.from, to: c.to, disruption: disruption as Disruption };
  if (destructive === true) change.destructive = true;
  return change;
}
