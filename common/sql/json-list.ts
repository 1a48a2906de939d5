import type { Engine } from "./queryable.js";

/**
 * A subquery yielding the elements of a JSON array of strings passed as one `?` parameter
 * (`JSON.stringify(list)`), for `x IN ${jsonTextList(on)}`: a set of keys in one statement and
 * one parameter, whatever its length, on either engine (SQLite json_each, PostgreSQL
 * json_array_elements_text).
 */
export function jsonTextList(on: { readonly engine: Engine }): string {
  return on.engine === "postgres" ? "(SELECT json_array_elements_text(?::json))" : "(SELECT value FROM json_each(?))";
}
