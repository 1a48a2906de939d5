import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { projectRoot } from "../../common/paths.js";

/**
 * No import cycles, anywhere: not between files, and not between the controller's feature
 * folders. Type-only imports (`import type`, `export type … from`) count: a cycle of types is
 * still two parts that cannot be understood apart. Unlike test/harness/import-graph.ts (what a
 * process loads at run time), nothing is elided here.
 */

const ROOT = projectRoot();
const SOURCE_DIRS = [
  "common",
  "libvirt",
  "engine",
  "policy-language",
  "kinds",
  "agent",
  "controller",
  "cli",
  "bench",
  "generated",
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The project file a relative specifier names (`./x.js` → `./x.ts`, a folder → its index.ts), or undefined. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts"), base];
  return candidates.find((c) => c.endsWith(".ts") && existsSync(c) && statSync(c).isFile());
}

/** Every module `file` names in an import or export (type-only ones too; dynamic import() and require included). */
function importsOf(file: string): string[] {
  return specifiers(readFileSync(file, "utf8"));
}

/** The relative module specifiers of a source text, as the TypeScript compiler's pre-processor finds them. */
function specifiers(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith("."));
}

/** Strongly connected components of more than one node (or a node importing itself), Tarjan's algorithm. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  return out;
}

/** One path around a cycle inside `scc`, for the failure message: a → b → … → a. */
function oneLoop(graph: Map<string, Set<string>>, scc: string[]): string {
  const members = new Set(scc);
  const start = scc[0]!;
  const previous = new Map<string, string>();
  const todo = [start];
  while (todo.length > 0) {
    const v = todo.shift()!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start].join(" → ");
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        todo.push(w);
      }
    }
  }
  return scc.join(", ");
}

function fileGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      const edges = new Set<string>();
      for (const spec of importsOf(file)) {
        const target = resolveSpecifier(file, spec);
        if (target) edges.add(relative(ROOT, target));
      }
      graph.set(relative(ROOT, file), edges);
    }
  }
  return graph;
}

/** The controller's top-level feature folders (controller/X/…); files directly in controller/ are the composition root, left out. */
function controllerFolderGraph(files: Map<string, Set<string>>): Map<string, Set<string>> {
  const folderOf = (f: string): string | undefined => {
    const parts = f.split(sep === "\\" ? /[\\/]/ : "/");
    return parts[0] === "controller" && parts.length > 2 ? `controller/${parts[1]}` : undefined;
  };
  const graph = new Map<string, Set<string>>();
  for (const [file, edges] of files) {
    const from = folderOf(file);
    if (!from) continue;
    const out = graph.get(from) ?? new Set<string>();
    graph.set(from, out);
    for (const e of edges) {
      const to = folderOf(e);
      if (to && to !== from) out.add(to);
    }
  }
  return graph;
}

const describeCycles = (graph: Map<string, Set<string>>) =>
  cycles(graph).map((scc) => `${scc.length} in a cycle: ${oneLoop(graph, scc)}`);

describe("import cycles", () => {
  const files = fileGraph();

  test("the graph covers the sources", () => {
    expect(files.size).toBeGreaterThan(100);
    // Type-only imports are edges too.
    expect(files.get("controller/index.ts")?.has("controller/controller.ts")).toBe(true);
  });

  test("type-only imports and re-exports are edges", () => {
    const text =
      'import type { A } from "./a.js";\nexport type { B } from "./b.js";\nexport * from "./c.js";\nimport { type D } from "./d.js";\n';
    expect(specifiers(text)).toEqual(["./a.js", "./b.js", "./c.js", "./d.js"]);
    const loop = new Map([
      ["x", new Set(["y"])],
      ["y", new Set(["x"])],
      ["z", new Set(["x"])],
    ]);
    expect(describeCycles(loop)).toEqual(["2 in a cycle: x → y → x"]);
  });

  test("no file imports itself back, through any chain (type-only imports included)", () => {
    expect(describeCycles(files)).toEqual([]);
  });

  test("no two controller feature folders depend on each other, through any chain", () => {
    expect(describeCycles(controllerFolderGraph(files))).toEqual([]);
  });
});
