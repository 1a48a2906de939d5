/**
 * Which domain fields this build's policy schema has (schema/policy.schema.json), so that a
 * test that needs a field another branch adds can skip NAMING the field instead of failing
 * with an unrelated policy error, or passing silently.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../common/index.js";

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

function props(s: JsonSchema | undefined): Record<string, JsonSchema> {
  if (!s) return {};
  const out: Record<string, JsonSchema> = { ...(s.properties ?? {}) };
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) Object.assign(out, props(alt));
  return out;
}

/** Field paths below `domains[]`, e.g. "kernel", "cloudInit.writeFiles". */
export function domainFieldSupported(path: string): boolean {
  const schema = JSON.parse(readFileSync(join(projectRoot(), "schema", "policy.schema.json"), "utf8")) as JsonSchema;
  let node: JsonSchema | undefined = props(props(props(schema).spec).resources).domains?.items;
  for (const part of path.split(".")) {
    node = props(node)[part];
    if (!node) return false;
  }
  return true;
}

/** The fields of `wanted` that the schema lacks (empty: all there). */
export function missingDomainFields(wanted: string[]): string[] {
  return wanted.filter((f) => !domainFieldSupported(f));
}
