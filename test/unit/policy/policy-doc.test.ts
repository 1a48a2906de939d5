import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { projectRoot, renderJsonSchemas } from "../../../common/index.js";

// docs/policy.md against the JSON Schema the code generates (the same as schema/*.json): every
// field of the schema is documented, every documented field exists, required fields and
// defaults agree, and every YAML example validates. A field added to a kind's spec.ts without
// its row in docs/policy.md (or a row left for a field that is gone) fails here.

type Schema = Record<string, any>;

interface SchemaField {
  path: string;
  /** "required", "required unless absent", or null. */
  required: string | null;
  /** The default stated in the description ("Default X."), normalised, or null. */
  default: string | null;
}

interface DocRow {
  root: string;
  field: string;
  type: string;
  default: string;
  change: string;
}

const root = projectRoot();
const doc = readFileSync(join(root, "docs", "policy.md"), "utf8");
const rendered = renderJsonSchemas();
const SCHEMAS: Record<"policy" | "inventory", Schema> = {
  policy: JSON.parse(rendered.policy),
  inventory: JSON.parse(rendered.inventory),
};

/** The documented roots: `<!-- fields: ROOT -->`; "inventory" is the inventory schema's root, anything else the policy's. */
const schemaOf = (docRoot: string): "policy" | "inventory" =>
  docRoot === "inventory" || docRoot.startsWith("inventory.") ? "inventory" : "policy";
const inSchema = (docRoot: string): string =>
  schemaOf(docRoot) === "inventory" ? docRoot.replace(/^inventory\.?/, "") : docRoot;

function join2(base: string, seg: string): string {
  if (seg === "[]") return `${base}[]`;
  return base === "" ? seg : `${base}.${seg}`;
}

/** "Default X." of a description → X without quotes or a trailing parenthesis. */
function normDefault(text: string): string {
  return text
    .replace(/`/g, "")
    .replace(/\s*\(.*\)$/, "")
    .replace(/^"(.*)"$/, "$1")
    .trim();
}

function schemaDefault(description: unknown): string | null {
  if (typeof description !== "string") return null;
  const m = /\bDefault:?\s+(.*?)\.(?:\s|$)/.exec(description);
  return m ? normDefault(m[1]!) : null;
}

/** Every field (object property) of `schema`, as a dotted path with `[]` for list items and `<name>` for map keys. */
function schemaFields(schema: Schema): SchemaField[] {
  const out: SchemaField[] = [];
  const walk = (node: Schema, path: string): void => {
    if (node === null || typeof node !== "object") return;
    const required = new Set<string>(node.required ?? []);
    const requiredUnlessAbsent = new Set<string>(node.else?.required ?? []);
    for (const [k, v] of Object.entries<Schema>(node.properties ?? {})) {
      if (typeof v !== "object") continue;
      const p = join2(path, k);
      out.push({
        path: p,
        required: required.has(k) ? "required" : requiredUnlessAbsent.has(k) ? "required unless absent" : null,
        default: schemaDefault(v.description),
      });
      walk(v, p);
    }
    for (const v of Object.values<Schema>(node.patternProperties ?? {})) walk(v, join2(path, "<name>"));
    if (node.items && typeof node.items === "object") walk(node.items, join2(path, "[]"));
    for (const key of ["anyOf", "oneOf", "allOf"]) for (const x of node[key] ?? []) walk(x, path);
  };
  walk(schema, "");
  return out;
}

/** The rows of every table that follows a `<!-- fields: ROOT -->` marker. */
function docRows(text: string): DocRow[] {
  const rows: DocRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!-- fields: ?(.*?) ?-->$/.exec(lines[i]!);
    if (!m) continue;
    const docRoot = m[1]!.trim();
    let j = i + 1;
    expect(lines[j], `a table follows the marker for "${docRoot}"`).toMatch(
      /^\| Field \| Type \| Default \| Change \| Meaning \|$/,
    );
    for (j += 2; j < lines.length && lines[j]!.startsWith("|"); j++) {
      const cells = lines[j]!.slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      const field = /^`([^`]+)`$/.exec(cells[0]!)?.[1];
      expect(field, `line ${j + 1}: the field is one \`code\` name`).toBeDefined();
      rows.push({ root: docRoot, field: field!, type: cells[1]!, default: cells[2]!, change: cells[3]! });
    }
  }
  return rows;
}

const rows = docRows(doc);
const roots = [...new Set(rows.map((r) => r.root))];

/** The documented root a schema path belongs to (the longest prefix), or null when it is a root or a root's ancestor. */
function rootFor(kind: "policy" | "inventory", path: string): string | null {
  const mine = roots.filter((r) => schemaOf(r) === kind);
  const own = mine.map(inSchema);
  if (own.some((r) => r === path || r.startsWith(`${path}.`) || r.startsWith(`${path}[]`))) return null;
  let best: string | null = null;
  for (const [i, r] of own.entries()) {
    const under = r === "" || path.startsWith(`${r}.`);
    if (under && (best === null || r.length > inSchema(best).length)) best = mine[i]!;
  }
  return best;
}

function relative(docRoot: string, path: string): string {
  const r = inSchema(docRoot);
  return r === "" ? path : path.slice(r.length + 1);
}

describe("docs/policy.md against the JSON Schema", () => {
  it("documents the document, spec, every kind and the inventory", () => {
    expect(roots).toEqual(
      expect.arrayContaining([
        "",
        "spec",
        "spec.resources.host",
        "spec.resources.networks[]",
        "spec.resources.pools[]",
        "spec.resources.volumes[]",
        "spec.resources.domains[]",
        "inventory",
      ]),
    );
  });

  for (const kind of ["policy", "inventory"] as const) {
    const fields = schemaFields(SCHEMAS[kind]);

    it(`${kind}: every field of the schema has its row, with the same required rule and default`, () => {
      const problems: string[] = [];
      for (const f of fields) {
        const docRoot = rootFor(kind, f.path);
        if (docRoot === null) continue;
        const rel = relative(docRoot, f.path);
        const row = rows.find((r) => r.root === docRoot && r.field === rel);
        if (!row) {
          problems.push(`${f.path}: not documented (add \`${rel}\` to the table of "${docRoot}")`);
          continue;
        }
        const d = normDefault(row.default);
        if (f.required !== null && d !== f.required)
          problems.push(`${f.path}: the schema says ${f.required}, the doc says "${row.default}"`);
        if (f.required === null && d.startsWith("required"))
          problems.push(`${f.path}: the doc says "${row.default}", the schema does not require it`);
        if (f.default !== null && d !== f.default)
          problems.push(`${f.path}: default "${f.default}" in the schema, "${row.default}" in the doc`);
        if (!row.type || !row.change) problems.push(`${f.path}: type and change must be filled in`);
      }
      expect(problems).toEqual([]);
    });

    it(`${kind}: every documented field exists in the schema`, () => {
      const known = new Set(fields.map((f) => f.path));
      const missing = rows
        .filter((r) => schemaOf(r.root) === kind)
        .map((r) =>
          inSchema(r.root) === "" ? r.field : `${inSchema(r.root)}${r.field.startsWith("[") ? "" : "."}${r.field}`,
        )
        .filter((p) => !known.has(p));
      expect(missing).toEqual([]);
    });
  }

  it("every YAML example validates against the schema", () => {
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false });
    const policy = ajv.compile(SCHEMAS.policy);
    const inventory = ajv.compile(SCHEMAS.inventory);
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const seen = new Set<string>();
    for (const b of blocks) {
      const key = Object.keys(b)[0]!;
      seen.add(key);
      if (key === "groups") {
        expect(inventory(b), JSON.stringify(inventory.errors)).toBe(true);
        continue;
      }
      const wrapped =
        key === "apiVersion"
          ? b
          : {
              apiVersion: "virtfleet/v1",
              kind: "Policy",
              metadata: { name: "example" },
              spec: { resources: key === "resources" ? b.resources : b },
            };
      expect(policy(wrapped), `${key}: ${JSON.stringify(policy.errors)}`).toBe(true);
    }
    for (const k of ["apiVersion", "host", "networks", "pools", "volumes", "domains", "resources", "groups"])
      expect(seen, `an example starting with ${k}:`).toContain(k);
  });
});
