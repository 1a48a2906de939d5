/** The metadata area of the domain kind: description (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedMetadata } from "./parsed.js";
export { buildMetadata } from "./xml-build.js";
export { parseMetadata } from "./xml-parse.js";
export { diffMetadata } from "./xml-diff.js";
