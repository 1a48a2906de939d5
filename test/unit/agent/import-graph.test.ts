import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../common/paths.js";

/**
 * What `virtfleet agent` loads at start: the static imports (types elided as tsc does,
 * dynamic import() not followed) reachable from the CLI entry and the agent command. The
 * agent process must stay small (issue 8: < 80 MB RSS), so none of the controller, the other
 * CLI commands, the policy parser (yaml, TypeBox, Ajv through common/index.ts) or the
 * certificate library (loaded on enrolment/renewal only) may be reachable from it.
 */
const ROOT = projectRoot();
const ENTRIES = ["cli/main.ts", "cli/commands/agent.ts"];

function staticImports(file: string): string[] {
  const out = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  const specs: string[] = [];
  for (const m of out.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm)) specs.push(m[1]!);
  return specs;
}

function reachable(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = ENTRIES.map((e) => join(ROOT, e));
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
      else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  }
  return { files: new Set([...files].map((f) => relative(ROOT, f))), packages };
}

describe("virtfleet agent's static import graph", { timeout: 60_000 }, () => {
  const { files, packages } = reachable();

  it("reaches the agent, not the controller, the other commands or the common/index.ts barrel", () => {
    expect(files.has("agent/agent.ts")).toBe(true);
    expect([...files].filter((f) => f.startsWith("controller/"))).toEqual([]);
    expect([...files].filter((f) => f.startsWith("cli/commands/") && f !== "cli/commands/agent.ts")).toEqual([]);
    expect([...files].filter((f) => f === "common/index.ts" || f === "common/policy/index.ts")).toEqual([]);
    expect([...files].filter((f) => f.startsWith("cli/admin-"))).toEqual([]);
  });

  it("takes only the policy checks it needs (no parser)", () => {
    expect([...files].filter((f) => f.startsWith("common/policy/")).sort()).toEqual(["common/policy/names.ts", "common/policy/spec-check.ts"]);
  });

  it("loads no yaml, TypeBox, Ajv, x509 library or node-cron at start", () => {
    for (const heavy of ["yaml", "@sinclair/typebox", "ajv", "@peculiar/x509", "reflect-metadata", "node-cron", "chokidar"]) expect(packages.has(heavy), heavy).toBe(false);
    expect(packages.has("@grpc/grpc-js")).toBe(true); // the graph is really walked
  });
});
