import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { projectRoot, renderJsonSchemas, SCHEMA_FILES, writeJsonSchemas } from "../../../common/index.js";

// Regenerate the committed files with: UPDATE_SCHEMA=1 npx vitest run --project unit test/unit/policy/json-schema.test.ts
describe("published JSON Schema", () => {
  const root = projectRoot();
  if (process.env.UPDATE_SCHEMA === "1") writeJsonSchemas(root);
  const rendered = renderJsonSchemas();

  it.each(Object.entries(SCHEMA_FILES))("%s: the committed %s equals what the code generates", (kind, file) => {
    const committed = readFileSync(join(root, file), "utf8");
    expect(committed).toBe(rendered[kind as keyof typeof SCHEMA_FILES]);
  });

  it("is usable by a plain JSON Schema validator (draft-07) and accepts the examples", () => {
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false });
    const policy = ajv.compile(JSON.parse(rendered.policy));
    const inventory = ajv.compile(JSON.parse(rendered.inventory));
    for (const f of ["baseline.yaml", "web-db.yaml"]) {
      expect(policy(parse(readFileSync(join(root, "policies", f), "utf8"))), JSON.stringify(policy.errors)).toBe(true);
    }
    expect(inventory(parse(readFileSync(join(root, "policies", "inventory.yaml"), "utf8")))).toBe(true);
    expect(
      policy({ apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name: "x", nmae: 1 }, spec: { resources: {} } }),
    ).toBe(false);
  });
});
