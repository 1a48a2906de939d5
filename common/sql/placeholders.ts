import { VirtfleetError } from "../errors.js";
import type { SqlParams, SqlValue } from "./queryable.js";

/** A statement's placeholders and its params do not match (a programming error). */
export class SqlParamsError extends VirtfleetError {
  constructor(message: string) {
    super("SQL_PARAMS", message);
  }
}

export interface NumberedStatement {
  text: string;
  values: SqlValue[];
}

const cache = new Map<string, { text: string; names: (string | number)[] }>();

/**
 * Rewrites `?` / `@name` placeholders to PostgreSQL's `$n` and orders `params` to match.
 * Quoted strings, quoted identifiers and `--` comments are left alone; `@name` used twice
 * becomes one `$n`. A positional statement needs an array of exactly as many values, a named
 * one an object holding every name (undefined is sent as NULL).
 */
export function numberPlaceholders(sql: string, params: SqlParams | undefined): NumberedStatement {
  let parsed = cache.get(sql);
  if (!parsed) {
    parsed = parse(sql);
    if (cache.size > 2_000) cache.clear();
    cache.set(sql, parsed);
  }
  const { text, names } = parsed;
  if (names.length === 0) {
    if (params && (Array.isArray(params) ? params.length : 0) > 0)
      throw new SqlParamsError(`statement has no placeholders but got params: ${sql.slice(0, 80)}`);
    return { text, values: [] };
  }
  if (typeof names[0] === "number") {
    if (!Array.isArray(params) || params.length !== names.length)
      throw new SqlParamsError(
        `statement has ${names.length} positional placeholders but got ${Array.isArray(params) ? params.length : "named"} params: ${sql.slice(0, 80)}`,
      );
    return { text, values: [...(params as readonly SqlValue[])] };
  }
  if (!params || Array.isArray(params))
    throw new SqlParamsError(`statement has named placeholders but got positional params: ${sql.slice(0, 80)}`);
  const byName = params as Readonly<Record<string, SqlValue | undefined>>;
  return {
    text,
    values: (names as string[]).map((n) => {
      if (!(n in byName)) throw new SqlParamsError(`missing param @${n}: ${sql.slice(0, 80)}`);
      return byName[n] ?? null;
    }),
  };
}

function parse(sql: string): { text: string; names: (string | number)[] } {
  let out = "";
  const names: (string | number)[] = [];
  const named = new Map<string, number>();
  let kind: "positional" | "named" | undefined;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "?") {
      if (kind === "named") throw new SqlParamsError(`statement mixes ? and @name placeholders: ${sql.slice(0, 80)}`);
      kind = "positional";
      names.push(names.length);
      out += `$${names.length}`;
      i += 1;
    } else if (c === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      if (kind === "positional")
        throw new SqlParamsError(`statement mixes ? and @name placeholders: ${sql.slice(0, 80)}`);
      kind = "named";
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j += 1;
      const name = sql.slice(i + 1, j);
      let n = named.get(name);
      if (n === undefined) {
        names.push(name);
        n = names.length;
        named.set(name, n);
      }
      out += `$${n}`;
      i = j;
    } else {
      out += c;
      i += 1;
    }
  }
  return { text: out, names };
}

/** Index just past the quote closing the one at `start` (a doubled quote is an escaped one). */
function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return sql.length;
}
