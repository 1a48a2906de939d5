/**
 * The XML toolkit every kind's builders and parsers share: safe building and parsing
 * (xml-io.ts), libvirt's scaled units, and virtfleet's ownership metadata element.
 */
export type { Disruption, FieldChange } from "../../common/changes.js";
export {
  buildMetadataElementXml,
  parseVirtfleetMetadata,
  parseVirtfleetMetadataElement,
  VIRTFLEET_PREFIX,
  VIRTFLEET_XMLNS,
  type VirtfleetMetadata,
} from "./metadata.js";
