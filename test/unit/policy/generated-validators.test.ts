import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../common/index.js";
import {
  GENERATED_VALIDATORS,
  type GeneratedValidatorName,
  renderValidator,
} from "../../../policy-language/render-validators.js";

// Regenerate the committed files with: npm run gen:validators
describe("the generated validators", () => {
  const root = projectRoot();
  const names = Object.keys(GENERATED_VALIDATORS) as GeneratedValidatorName[];
  const rendered = Object.fromEntries(names.map((n) => [n, renderValidator(n)]));
  if (process.env.UPDATE_GENERATED === "1")
    for (const n of names) writeFileSync(join(root, GENERATED_VALIDATORS[n].file), rendered[n]!);

  it.each(names)("%s: the committed file is what the schemas render (run npm run gen:validators)", (name) => {
    expect(readFileSync(join(root, GENERATED_VALIDATORS[name].file), "utf8")).toBe(rendered[name]);
  });

  it.each(names)("%s needs nothing at run time (no require, no import)", (name) => {
    expect(rendered[name]).not.toMatch(/require\(|^import |from "ajv/m);
  });
});
