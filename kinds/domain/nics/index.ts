/** The NICs area of the domain kind: `interfaces[]` (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedInterface, ParsedNics } from "./parsed.js";
export { buildInterfaceDeviceXml, buildNics, interfaceDetachXml, interfaceNode } from "./xml-build.js";
export { parseNics } from "./xml-parse.js";
export { diffNics } from "./xml-diff.js";
export { checkNicsSpec } from "./check.js";
