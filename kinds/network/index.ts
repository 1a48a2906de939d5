/**
 * The network kind's agent face: its resolved spec type, XML build/parse/diff, the
 * resource's checkApply, and the events that concern it. Its policy face (document schema,
 * resolve, semantics, claims) is `policy.ts`, loaded by the policy language only.
 */
export type { Dhcp6HostSpec, DhcpHostSpec, NetworkSpec } from "./spec.js";
export { completeNetworkSpec } from "./complete.js";
export type { ParsedDhcpHost, ParsedNetwork } from "./parsed.js";
export { checkNetworkSpec } from "./check.js";
export { buildDhcp6HostXml, buildDhcpHostXml, buildDnsHostXml, buildNetworkXml } from "./xml-build.js";
export { parseNetworkXml } from "./xml-parse.js";
export { diffNetwork } from "./xml-diff.js";
export { NetworkResource } from "./resource.js";
export { checkBridgeExists, MissingBridgeError } from "./bridge-check.js";
export { checkHostNic, MissingHostNicError } from "./nic-check.js";
export { checkNetworkClashes, NetworkClashError, type DeclaredNetwork } from "./clash-check.js";
export { clashOf, footprintOf, type Footprint, type NetworkShape } from "./footprint.js";
export { NETWORK_AUTOSTART_DIR, NETWORK_CONFIG_DIR, networkOfEvent } from "./events.js";
