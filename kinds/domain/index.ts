/**
 * The domain kind's agent face: its resolved spec types, XML build/parse/diff and device
 * XML for hot-plug, the resource's checkApply and state machine, host quirks, dependency
 * edges and the events that concern it. Its policy face is `policy.ts`.
 */
export type {
  CdromSpec,
  CloudInitSpec,
  CloudInitUserSpec,
  DiskSpec,
  DomainSpec,
  InterfaceSpec,
} from "./spec.js";
export type {
  DomainBuildContext,
  ParsedDisk,
  ParsedDomain,
  ParsedGraphics,
  ParsedInterface,
  PoolVolumeKey,
  VolumeRef,
} from "./parsed.js";
export { checkDomainSpec } from "./check.js";
export { buildDomainXml } from "./xml-build.js";
export { parseDomainXml } from "./xml-parse.js";
export { diffDomain, type DomainDiffOptions } from "./xml-diff.js";
export { buildCdromDeviceXml, buildDiskDeviceXml, diskDetachXml, targetNames } from "./disks/index.js";
export { buildInterfaceDeviceXml, interfaceDetachXml } from "./nics/index.js";
export { machineMatches } from "./machine.js";
export { DomainResource, domainSpecHash, type DomainHostEnv } from "./resource.js";
export { checkDomainReferences, DanglingReferenceError } from "./references.js";
export { detectDomainEnv } from "./host-env.js";
export { domainDependencies } from "./dependencies.js";
export { DOMAIN_AUTOSTART_DIR, DOMAIN_CONFIG_DIR, domainOfEvent } from "./events.js";
