import type { ErrorObject } from "ajv";
import { validate as validateInventory } from "../generated/validators/inventory-document.js";
import { validate as validatePolicy } from "../generated/validators/policy-document.js";
import { shownValue } from "../common/redact.js";
import { formatPath, type IssueList, type PathSegment } from "../policy-primitives/issues.js";
import { quoteToken } from "../policy-primitives/quote.js";
import { PATTERN_HELP, PATTERNS, type PatternName } from "../policy-primitives/names.js";

type GeneratedValidator = ((v: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * The policy and inventory schemas (schema.ts), compiled ahead of time by Ajv with
 * allErrors and verbose (policy-language/render-validators.ts → generated/validators/).
 */
const VALIDATORS: Record<"policy" | "inventory", GeneratedValidator> = {
  policy: validatePolicy as unknown as GeneratedValidator,
  inventory: validateInventory as unknown as GeneratedValidator,
};

/** Field names people type for a plaintext password, answered with what to do instead. */
const PLAINTEXT_PASSWORD_FIELDS = new Set(["password", "plain_text_passwd", "plainTextPassword", "passwd"]);

/**
 * Validates `value` against the Policy or inventory schema, adding one issue per failing
 * field to `issues`. Returns true when the value conforms.
 */
export function checkSchema(kind: "policy" | "inventory", value: unknown, issues: IssueList): boolean {
  const validate = VALIDATORS[kind];
  if (validate(value)) return true;
  for (const err of validate.errors ?? []) {
    // `if` only says its `else` failed; that branch's own errors name the field.
    if (err.keyword === "if") continue;
    const base = toPath(value, err.instancePath);
    const { path, message, at } = describe(err, base);
    issues.add(path, message, at);
  }
  return false;
}

/** JSON pointer → path segments, with array indexes as numbers (decided by the data). */
function toPath(root: unknown, pointer: string): PathSegment[] {
  if (pointer === "") return [];
  const out: PathSegment[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) {
      out.push(Number(key));
      cur = cur[Number(key)];
    } else {
      out.push(key);
      cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

function describe(
  err: ErrorObject,
  base: PathSegment[],
): { path: PathSegment[]; message: string; at: "key" | "value" } {
  const params = err.params as Record<string, unknown>;
  const parent = (err.parentSchema ?? {}) as Record<string, unknown>;
  const desc = typeof parent.description === "string" ? parent.description : undefined;
  // The offending value, as quoted in messages (a secret field's value is never quoted).
  const got = clip(JSON.stringify(shownValue(formatPath(base), err.data)) ?? String(err.data));
  switch (err.keyword) {
    case "additionalProperties": {
      const prop = String(params.additionalProperty);
      const path = [...base, prop];
      if (parent.patternProperties) {
        const [pattern] = Object.keys(parent.patternProperties as object);
        return { path, at: "key", message: `invalid key ${quoteToken(prop)}: must match ${pattern}` };
      }
      if (PLAINTEXT_PASSWORD_FIELDS.has(prop) && "passwordFile" in ((parent.properties as object | undefined) ?? {})) {
        return {
          path,
          at: "key",
          message: `a password is never written in a policy: put it in a file on the host (owned by root, mode 0600) and name that file with passwordFile`,
        };
      }
      if (PLAINTEXT_PASSWORD_FIELDS.has(prop)) {
        return {
          path,
          at: "key",
          message: `plaintext passwords are not accepted; only hashes: use passwordHash with a crypt(3) hash (e.g. from \`mkpasswd -m sha-512\`)`,
        };
      }
      const allowed = Object.keys((parent.properties as object | undefined) ?? {});
      const guess = closest(prop, allowed);
      const hint = guess ? ` (did you mean "${guess}"?)` : allowed.length ? ` (allowed: ${allowed.join(", ")})` : "";
      return { path, at: "key", message: `unknown field ${quoteToken(prop)}${hint}` };
    }
    case "required":
      return {
        path: [...base, String(params.missingProperty)],
        at: "value",
        message: `missing required field "${String(params.missingProperty)}"${
          err.schemaPath.includes("/else/") ? " (only state: absent may leave it out)" : ""
        }`,
      };
    case "type":
      return { path: base, at: "value", message: `must be ${typeNames(params.type)}` };
    case "enum":
      return {
        path: base,
        at: "value",
        message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(", ")} (got ${got})`,
      };
    case "const":
      return { path: base, at: "value", message: `must be ${JSON.stringify(params.allowedValue)} (got ${got})` };
    case "pattern": {
      const help = patternHelp(String(params.pattern)) ?? desc ?? `must match ${String(params.pattern)}`;
      return { path: base, at: "value", message: `invalid value ${got}: ${help}` };
    }
    case "minimum":
      return { path: base, at: "value", message: `must be at least ${String(params.limit)} (got ${got})` };
    case "maximum":
      return { path: base, at: "value", message: `must be at most ${String(params.limit)} (got ${got})` };
    case "minItems":
      return { path: base, at: "value", message: `must have at least ${String(params.limit)} item(s)` };
    case "minProperties":
      return { path: base, at: "value", message: "must not be empty (leave the field out instead)" };
    case "minLength":
      return { path: base, at: "value", message: "must not be empty" };
    case "maxLength":
      return { path: base, at: "value", message: `must be at most ${String(params.limit)} characters` };
    default:
      return { path: base, at: "value", message: err.message ?? `failed ${err.keyword}` };
  }
}

/** Quoted values are cut to 100 characters (a hostile value can be a megabyte long). */
function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** The help text of the named format a schema pattern was built from (longest match wins). */
function patternHelp(pattern: string): string | undefined {
  let best: PatternName | undefined;
  for (const name of Object.keys(PATTERNS) as PatternName[]) {
    if (pattern.includes(PATTERNS[name]) && (!best || PATTERNS[name].length > PATTERNS[best].length)) best = name;
  }
  return best ? PATTERN_HELP[best] : undefined;
}

function typeNames(type: unknown): string {
  const names: Record<string, string> = {
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "true or false",
    object: "a mapping (key: value)",
    array: "a list",
    null: "null",
  };
  const list = (Array.isArray(type) ? type : String(type).split(",")).map((t) => names[String(t)] ?? String(t));
  return list.length > 1 ? `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}` : list[0];
}

/** The allowed name within edit distance 2 of `word`, if exactly one is closest. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
