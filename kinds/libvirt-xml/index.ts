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
} from "./parsed-types.js";
export { buildDomainXml } from "../domain/xml-build.js";
export { parseDomainXml } from "../domain/xml-parse.js";
export { diffDomain, type DomainDiffOptions } from "../domain/xml-diff.js";
export { buildNetworkXml, buildDhcpHostXml } from "../network/xml-build.js";
export { parseNetworkXml } from "../network/xml-parse.js";
export { diffNetwork } from "../network/xml-diff.js";
export { buildPoolXml, buildVolumeXml, type VolumeBuildContext } from "../pool/xml-build.js";
export { parsePoolXml, parseVolumeXml } from "../pool/xml-parse.js";
export { diffPool, diffVolume, effectiveCapacity } from "../pool/xml-diff.js";
export { parseVirtfleetMetadata, buildMetadataElementXml, VIRTFLEET_XMLNS, VIRTFLEET_PREFIX } from "./metadata.js";
export { machineMatches } from "../domain/machine.js";
export { targetNames } from "../domain/target-names.js";
export {
  buildInterfaceDeviceXml,
  buildDiskDeviceXml,
  buildCdromDeviceXml,
  interfaceDetachXml,
  diskDetachXml,
} from "../domain/xml-devices.js";
