import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { projectRoot } from "../../common/paths.js";

const ROOT = projectRoot();

/** Module specifiers `file` imports statically (types elided as tsc does; dynamic import() not followed). */
function staticImports(file: string): string[] {
  const out = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  const specs: string[] = [];
  for (const m of out.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm)) specs.push(m[1]!);
  return specs;
}

/**
 * What a process loads at start from `entries` (TypeScript sources relative to the project
 * root): the project files (relative paths) and npm packages reachable by static imports.
 */
export function staticImportGraph(entries: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = entries.map((e) => join(ROOT, e));
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
      else if (!spec.startsWith("node:"))
        packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  }
  return { files: new Set([...files].map((f) => relative(ROOT, f))), packages };
}
