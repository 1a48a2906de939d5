/** The NICs area of the domain kind: `interfaces[]` (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedInterface, ParsedNicRate, ParsedNics } from "./parsed.js";
export {
  buildInterfaceDeviceXml,
  buildNics,
  interfaceDetachXml,
  interfaceNode,
  type NicIdentity,
} from "./xml-build.js";
export { parseInterface, parseNics } from "./xml-parse.js";
export { diffNics } from "./xml-diff.js";
export { checkNicsSpec } from "./check.js";
export { applyNicLiveChanges } from "./live.js";
export { checkNicsOnHost, declareGuestHostLinks, NicHostError } from "./host-check.js";
