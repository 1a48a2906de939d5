import { loadPolicySources, type LoadResult, type PolicySource } from "../../../common/index.js";

/** Loads in-memory files; `inventory` (if given) is added as inventory.yaml. */
export function load(files: Record<string, string>, inventory?: string): LoadResult {
  const sources: PolicySource[] = Object.entries(files).map(([file, text]) => ({ file, text }));
  if (inventory !== undefined) sources.push({ file: "inventory.yaml", text: inventory });
  return loadPolicySources(sources);
}

/** A minimal valid policy with `resources` (YAML, indented under `resources:`) and extra spec lines. */
export function policy(name: string, resources: string, spec = ""): string {
  return `apiVersion: virtfleet/v1
kind: Policy
metadata:
  name: ${name}
spec:
${spec}  resources:
${resources}`;
}

/** Every error as `file:line:col: path: message`. */
export function lines(r: LoadResult): string[] {
  return r.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.path}: ${e.message}`);
}
