import { createHash } from "node:crypto";

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and
 * strings as `JSON.stringify` writes them. Equal values give byte-equal text, so the text
 * (or `canonicalHash`) can be compared across processes and machines. For the JSON value
 * space this matches RFC 8785 (JCS).
 *
 * Rules beyond plain JSON:
 * - object properties whose value is `undefined` are omitted (optional fields);
 * - `toJSON()` is honoured (Dates become ISO strings);
 * - NaN/±Infinity, bigint, functions, symbols, `undefined` inside arrays and cycles throw
 *   a TypeError naming the JSON path, rather than being silently turned into `null`.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, "$", out, new Set<object>());
  return out.join("");
}

/** Lower-case hex SHA-256 of `canonicalJson(value)` (UTF-8). */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value), "utf8").digest("hex");
}

function write(value: unknown, path: string, out: string[], stack: Set<object>): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value))
        throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot represent`);
      out.push(JSON.stringify(value));
      return;
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot represent`);
  }

  const obj = value as object;
  const withToJson = obj as { toJSON?: unknown };
  if (typeof withToJson.toJSON === "function") {
    write((withToJson.toJSON as (key: string) => unknown).call(obj, ""), path, out, stack);
    return;
  }
  if (stack.has(obj)) throw new TypeError(`canonicalJson: ${path} is a circular reference`);
  stack.add(obj);

  if (Array.isArray(obj)) {
    out.push("[");
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.push(",");
      const item: unknown = obj[i];
      if (item === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
      write(item, `${path}[${i}]`, out, stack);
    }
    out.push("]");
  } else {
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out.push("{");
    let first = true;
    for (const key of keys) {
      const v = record[key];
      if (v === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(key), ":");
      write(v, `${path}.${key}`, out, stack);
    }
    out.push("}");
  }
  stack.delete(obj);
}
