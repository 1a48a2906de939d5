/** The CPU and memory area of the domain kind (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedCpuMemory } from "./parsed.js";
export { buildCpuMemory } from "./xml-build.js";
export { parseCpuMemory } from "./xml-parse.js";
export { diffCpuMemory } from "./xml-diff.js";
