/** The firmware and boot area of the domain kind (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedFirmware } from "./parsed.js";
export { buildFirmware } from "./xml-build.js";
export { parseFirmware } from "./xml-parse.js";
export { diffFirmware } from "./xml-diff.js";
