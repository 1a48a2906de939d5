import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../common/paths.js";
import { InventorySchema, PolicySchema } from "./schema.js";

/** Where the published JSON Schema files live, relative to the project root. */
export const SCHEMA_FILES = {
  policy: "schema/policy.schema.json",
  inventory: "schema/inventory.schema.json",
} as const;

const SCHEMA_ID_BASE = "https://virtfleet.dev/schema/v1/";

/** The JSON Schema documents (draft-07) as written to `SCHEMA_FILES`: stable text, trailing newline. */
export function renderJsonSchemas(): Record<keyof typeof SCHEMA_FILES, string> {
  const render = (schema: object, id: string) =>
    JSON.stringify(
      { $schema: "http://json-schema.org/draft-07/schema#", $id: SCHEMA_ID_BASE + id, ...schema },
      null,
      2,
    ) + "\n";
  return {
    policy: render(PolicySchema, "policy.schema.json"),
    inventory: render(InventorySchema, "inventory.schema.json"),
  };
}

/** Writes the JSON Schema files under `root` (default: the project root). */
export function writeJsonSchemas(root: string = projectRoot()): string[] {
  const rendered = renderJsonSchemas();
  return (Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[]).map((k) => {
    const file = join(root, SCHEMA_FILES[k]);
    writeFileSync(file, rendered[k]);
    return file;
  });
}

/** `node dist/policy-language/write-json-schema.js` regenerates the files. */
export function main(): void {
  for (const f of writeJsonSchemas()) process.stdout.write(`wrote ${f}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
