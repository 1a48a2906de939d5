/**
 * virtfleet's element in a domain's <metadata>:
 * `<vf:virtfleet xmlns:vf="https://virtfleet.dev/xmlns/1"><vf:specHash>…</vf:specHash><vf:policy>…</vf:policy><vf:createdBy>…</vf:createdBy></vf:virtfleet>`.
 * Its presence is virtfleet's ownership marker of a domain (kinds/ownership); `createdBy` is the
 * revision of the policy that created (or adopted) the guest, absent on guests older than it.
 * A guest's labels (the domain kind's `labels`) are kept in it too, as
 * `<vf:labels><vf:label key="tier" value="web"/></vf:labels>` (absent when there are none).
 * Recognised by its namespace URI, whatever prefix the stored XML uses.
 */
import { attr, buildXml, child, children, parseXml, text, xmlString, type XmlNode } from "./xml-io.js";

export interface VirtfleetMetadata {
  specHash: string | null;
  policy: string | null;
  /** Revision of the policy that created or adopted the guest (null: unknown). */
  createdBy?: string | null;
  /** The guest's labels ({} when none). */
  labels?: Record<string, string>;
}

export const VIRTFLEET_XMLNS = "https://virtfleet.dev/xmlns/1";
export const VIRTFLEET_PREFIX = "vf";

/** The `<metadata>` child node for the builder. */
export function metadataNode(
  specHash: string,
  policy: string | undefined,
  createdBy?: string | null,
  labels?: Record<string, string>,
): XmlNode {
  const inner: XmlNode = {
    [`@_xmlns:${VIRTFLEET_PREFIX}`]: VIRTFLEET_XMLNS,
    [`${VIRTFLEET_PREFIX}:specHash`]: xmlString(specHash, "specHash"),
  };
  if (policy !== undefined) inner[`${VIRTFLEET_PREFIX}:policy`] = xmlString(policy, "policy");
  if (createdBy) inner[`${VIRTFLEET_PREFIX}:createdBy`] = xmlString(createdBy, "createdBy");
  const l = labelsNode(labels, `${VIRTFLEET_PREFIX}:`);
  if (l) inner[`${VIRTFLEET_PREFIX}:labels`] = l;
  return { [`${VIRTFLEET_PREFIX}:virtfleet`]: inner };
}

/** `<labels><label key value/>…</labels>` (keys sorted), or null when there are none. */
function labelsNode(labels: Record<string, string> | undefined, prefix: string): XmlNode | null {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return null;
  return {
    [`${prefix}label`]: entries.map(([k, v]) => ({
      "@_key": xmlString(k, "label key"),
      // a value may be empty; xmlString rejects what XML cannot carry
      "@_value": v === "" ? "" : xmlString(v, `label ${k}`),
    })),
  };
}

function readLabels(el: XmlNode, q: (name: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of children(child(el, q("labels")), q("label"))) {
    const k = attr(l, "key");
    if (k !== null) out[k] = attr(l, "value") ?? "";
  }
  return out;
}

/**
 * The element for virDomainSetMetadata(type element, key `vf`, uri VIRTFLEET_XMLNS):
 * libvirt puts it in our namespace itself, so it reads back like the builder's node.
 */
export function buildMetadataElementXml(
  specHash: string,
  policy: string | undefined,
  createdBy?: string | null,
  labels?: Record<string, string>,
): string {
  const inner: XmlNode = { specHash: xmlString(specHash, "specHash") };
  if (policy !== undefined) inner.policy = xmlString(policy, "policy");
  if (createdBy) inner.createdBy = xmlString(createdBy, "createdBy");
  const l = labelsNode(labels, "");
  if (l) inner.labels = l;
  return buildXml("virtfleet", inner);
}

/** virtfleet metadata of a parsed `<metadata>` node, or null when there is none. */
export function readMetadataNode(metadata: XmlNode | undefined): VirtfleetMetadata | null {
  if (metadata === undefined) return null;
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith("@_") || value === null || typeof value !== "object") continue;
    const el = (Array.isArray(value) ? value[0] : value) as XmlNode;
    const colon = key.indexOf(":");
    const prefix = colon >= 0 ? key.slice(0, colon) : null;
    const local = colon >= 0 ? key.slice(colon + 1) : key;
    const ns = prefix === null ? attr(el, "xmlns") : attr(el, `xmlns:${prefix}`);
    if (local !== "virtfleet" || ns !== VIRTFLEET_XMLNS) continue;
    const q = (name: string) => (prefix === null ? name : `${prefix}:${name}`);
    return withLabels(
      withCreatedBy({ specHash: text(el, q("specHash")), policy: text(el, q("policy")) }, text(el, q("createdBy"))),
      readLabels(el, q),
    );
  }
  return null;
}

/**
 * virtfleet metadata from the element libvirt returns for our namespace (virDomainGetMetadata,
 * `Hypervisor.domainMetadata({ type: "element", uri: VIRTFLEET_XMLNS })`), or null for none.
 * Same result as `parseVirtfleetMetadata` on the whole document, without fetching and parsing all of it.
 */
export function parseVirtfleetMetadataElement(elementXml: string | null): VirtfleetMetadata | null {
  if (elementXml === null) return null;
  // libvirt returns the element unprefixed and without xmlns: the namespace is the one asked for
  const el = parseXml(elementXml, "virtfleet");
  return withLabels(
    withCreatedBy({ specHash: text(el, "specHash"), policy: text(el, "policy") }, text(el, "createdBy")),
    readLabels(el, (n) => n),
  );
}

/** virtfleet metadata of a whole domain XML document, or null when there is none. */
export function parseVirtfleetMetadata(domainXml: string): VirtfleetMetadata | null {
  return readMetadataNode(child(parseXml(domainXml, "domain"), "metadata"));
}

/** `createdBy` only when the element has it (guests older than it read as before). */
function withCreatedBy(m: VirtfleetMetadata, createdBy: string | null): VirtfleetMetadata {
  return createdBy ? { ...m, createdBy } : m;
}

/** `labels` only when the element has some (guests without labels read as before). */
function withLabels(m: VirtfleetMetadata, labels: Record<string, string>): VirtfleetMetadata {
  return Object.keys(labels).length > 0 ? { ...m, labels } : m;
}
