/** The devices area of the domain kind: what is under <devices> besides disks and NICs (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedDevices, ParsedGraphics } from "./parsed.js";
export { buildDevices } from "./xml-build.js";
export { parseDevices } from "./xml-parse.js";
export { diffDevices } from "./xml-diff.js";
