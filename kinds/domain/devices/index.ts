/** The devices area of the domain kind: what is under <devices> besides disks and NICs (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export type { ParsedDevices, ParsedFilesystem, ParsedGraphics, ParsedWatchdog } from "./parsed.js";
export { checkDevicesSpec } from "./check.js";
export { buildDevices, graphicsDeviceXml } from "./xml-build.js";
export { graphicsPasswordDigests, parseDevices } from "./xml-parse.js";
export { diffDevices } from "./xml-diff.js";
export { applyDevicesLive, diffGraphicsPassword, GRAPHICS_PASSWORD_FIELD, readGraphicsPassword } from "./live.js";
export { checkDevicesOnHost, HostdevError } from "./host-checks.js";
export { readPasswordFile } from "./password-file.js";
