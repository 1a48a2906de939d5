import {
  Type,
  type ObjectOptions,
  type TObject,
  type TOptional,
  type TProperties,
  type TSchema,
} from "@sinclair/typebox";
import { PATTERNS, type PatternName } from "./names.js";

/**
 * The TypeBox building blocks every part of the policy schema is written with (the policy
 * document in policy-language/schema.ts, each kind's part in kinds/<kind>/spec.ts), so one
 * field reads the same way wherever it is declared.
 *
 * Contract: document schemas reject unknown fields (`obj`); strings under `spec.resources`
 * that may hold a template use `tpl` (any string containing `${` passes, and the value is
 * checked again after templating for each host).
 */

type WithOptional<P extends TProperties, K extends keyof P> = { [k in keyof P]: k extends K ? P[k] : TOptional<P[k]> };

/** A closed object (unknown fields rejected) whose fields are optional except `required`. */
export function obj<P extends TProperties, K extends keyof P & string>(
  props: P,
  required: readonly K[],
  options: ObjectOptions = {},
): TObject<WithOptional<P, K>> {
  const out: TProperties = {};
  for (const [k, v] of Object.entries(props))
    out[k] = (required as readonly string[]).includes(k) ? v : Type.Optional(v);
  return Type.Object(out, { additionalProperties: false, ...options }) as unknown as TObject<WithOptional<P, K>>;
}

export function plain(name: PatternName, description: string) {
  return Type.String({ pattern: PATTERNS[name], description });
}

/** A string of format `name`, or any string containing a template. */
export function tpl(name: PatternName, description: string) {
  return Type.String({ pattern: `(?:${PATTERNS[name]})|\\$\\{`, description });
}

export function text(description: string, maxLength = 1024) {
  return Type.String({ maxLength, description });
}

export function size(description: string) {
  return Type.Unsafe<string | number>({
    type: ["string", "integer"],
    minimum: 0,
    pattern: `(?:${PATTERNS.size})|\\$\\{`,
    description: `${description} A size: integer bytes or a number with KiB, MiB, GiB or TiB (e.g. 10GiB).`,
  });
}

/** One of `values` (a plain JSON Schema enum, so an error names every allowed value). */
export function choice<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
}

export function list<T extends TSchema>(item: T, description: string) {
  return Type.Array(item, { description });
}

export function map<T extends TSchema>(key: PatternName, value: T, description: string) {
  return Type.Record(Type.String({ pattern: PATTERNS[key] }), value, { description });
}

/**
 * Object options for a kind whose `state: absent` needs only its identity (name; pool + name
 * for a volume): the fields in `present` are required unless `state` is `absent` (JSON Schema
 * if/else). Spread into `obj`'s options; the identity fields stay in its `required` list.
 */
export function requiredUnlessAbsent(present: readonly string[]): ObjectOptions {
  return {
    if: { properties: { state: { const: "absent" } }, required: ["state"] },
    // `properties` repeats the names (schemas in the object's own `properties`) for Ajv's strictRequired
    else: { properties: Object.fromEntries(present.map((k) => [k, true])), required: [...present] },
  };
}

/** The name every named kind shares. */
export function resourceNameField() {
  return tpl("resourceName", "letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters");
}

// --- Resolved specs (what a bundle carries, after templating and defaults) ---------------
// Contract: these describe the agent-bound JSON; they are open (unknown fields pass, as an
// older agent ignores a field it does not know) and nullable where the loader writes null.

/** A value or null. */
export function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** A closed set of string values in a resolved spec. */
export function oneOf<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...(description ? { description } : {}) });
}

/** A resolved object: every listed field required. */
export function resolvedObject<P extends TProperties>(props: P, description?: string): TObject<P> {
  return Type.Object(props, description ? { description } : {});
}
