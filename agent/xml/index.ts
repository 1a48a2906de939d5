/**
 * The XML layer: desired libvirt XML built from resolved specs, actual libvirt XML parsed
 * into comparable shapes, and field-by-field diffs with disruption classes.
 */
export type {
  Disruption,
  FieldChange,
  ParsedDisk,
  ParsedInterface,
  ParsedGraphics,
  ParsedDomain,
  ParsedNetwork,
  ParsedDhcpHost,
  ParsedPool,
  ParsedVolume,
  VirtfleetMetadata,
  VolumeRef,
  PoolVolumeKey,
  DomainBuildContext,
} from "./types.js";
export { buildDomainXml } from "./domain-build.js";
export { parseDomainXml } from "./domain-parse.js";
export { diffDomain, type DomainDiffOptions } from "./domain-diff.js";
export { buildNetworkXml, buildDhcpHostXml } from "./network-build.js";
export { parseNetworkXml } from "./network-parse.js";
export { diffNetwork } from "./network-diff.js";
export { buildPoolXml, buildVolumeXml, type VolumeBuildContext } from "./storage-build.js";
export { parsePoolXml, parseVolumeXml } from "./storage-parse.js";
export { diffPool, diffVolume, effectiveCapacity } from "./storage-diff.js";
export { parseVirtfleetMetadata, buildMetadataElementXml, VIRTFLEET_XMLNS, VIRTFLEET_PREFIX } from "./metadata.js";
export { machineMatches } from "./machine.js";
export { targetNames } from "./names.js";
export {
  buildInterfaceDeviceXml,
  buildDiskDeviceXml,
  buildCdromDeviceXml,
  interfaceDetachXml,
  diskDetachXml,
} from "./devices.js";
