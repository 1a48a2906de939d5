import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../common/index.js";
import { GENERATED_VALIDATOR_FILE, renderBundledPolicyValidator } from "../../../kinds/render-validators.js";

// Regenerate the committed file with: npm run gen:validators
describe("the generated bundle validator", () => {
  const root = projectRoot();
  const rendered = renderBundledPolicyValidator();
  if (process.env.UPDATE_GENERATED === "1") writeFileSync(join(root, GENERATED_VALIDATOR_FILE), rendered);

  it("is what kinds/render-validators.ts renders from the kinds' schemas (run npm run gen:validators)", () => {
    expect(readFileSync(join(root, GENERATED_VALIDATOR_FILE), "utf8")).toBe(rendered);
  });

  it("needs no Ajv at run time", () => {
    expect(rendered).not.toMatch(/require\(|from "ajv/);
  });
});
