/** The metadata area of the domain kind: title, description, labels (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedMetadata } from "./parsed.js";
export { checkMetadataSpec } from "./check.js";
export { buildMetadata } from "./xml-build.js";
export { parseMetadata } from "./xml-parse.js";
export { diffMetadata } from "./xml-diff.js";
export { applyMetadataLive } from "./live.js";
