/** The disks area of the domain kind: `disks[]` and `cdroms[]` (see schema.ts). Its agent face; the policy face (resolve.ts, semantics.ts) is imported file by file. */
export { CDROM_BUS, diskSuffix, targetNames, type TargetNames } from "./target-names.js";
export type { ParsedDisk, ParsedDisks } from "./parsed.js";
export { buildCdromDeviceXml, buildDiskDeviceXml, buildDisks, diskDetachXml } from "./xml-build.js";
export { parseDisks } from "./xml-parse.js";
export { canonicalIotune, diffDisksArea } from "./xml-diff.js";
export { checkDisksSpec } from "./check.js";
export { diskSource, isDeviceDisk, isFileDisk, isVolumeDisk, volumeDisks } from "./sources.js";
export { applyDisksLive, blockIoTuneParams } from "./live.js";
export { checkDiskSources, DiskSourceError } from "./host-check.js";
