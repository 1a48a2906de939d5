/**
 * The one place XML text is produced or read. Values only ever enter XML through
 * XMLBuilder with entity processing on (`& < > ' "` escaped in text and attributes), and
 * every string is checked for characters XML 1.0 cannot carry, so no string from a policy
 * can add elements or attributes.
 */
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import { controlCharProblem } from "../../policy-primitives/names.js";
import { ProtocolError, ValidationError } from "../../common/errors.js";

/** A JS object in fast-xml-parser's shape: `@_attr` keys are attributes, `#text` is text. */
export type XmlNode = Record<string, unknown>;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  // Default `true` would print an attribute whose value is "true" as a bare name.
  suppressBooleanAttributes: false,
  processEntities: true,
});

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Renders one root element. */
export function buildXml(root: string, node: XmlNode): string {
  return builder.build({ [root]: node }) as string;
}

/** Parses `xml` and returns its root element `root`; throws ProtocolError otherwise. */
export function parseXml(xml: string, root: string): XmlNode {
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (err) {
    throw new ProtocolError(`cannot parse <${root}> XML from libvirt`, { cause: err });
  }
  const node = (doc as Record<string, unknown> | null)?.[root];
  if (node === undefined || node === null || typeof node !== "object") {
    if (node === "") return {};
    throw new ProtocolError(`XML from libvirt has no <${root}> root element`);
  }
  return node as XmlNode;
}

/**
 * Returns `value` when it survives a trip through XML verbatim; throws ValidationError
 * naming `field` otherwise. Refused: characters XML 1.0 cannot carry (C0 controls, lone
 * surrogates, U+FFFE/U+FFFF), characters a parser changes (tab, newline and carriage
 * return are normalised in attributes and line ends; DEL and C1 controls are refused with
 * the other controls, as the policy loader does) and white space at either end (parsers
 * trim text, so it would read back different and show as drift forever).
 */
export function xmlString(value: string, field: string): string {
  if (typeof value !== "string") throw new ValidationError(`${field}: expected a string, got ${typeof value}`);
  const bad = controlCharProblem(value);
  if (bad) throw new ValidationError(`${field}: contains a character XML cannot carry verbatim: ${bad}`);
  if (value !== value.trim())
    throw new ValidationError(`${field}: must not start or end with white space (XML parsers trim it)`);
  return value;
}

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** A UUID (with or without dashes), lower-cased; throws ValidationError naming `field`. */
export function xmlUuid(value: string, field: string): string {
  if (typeof value !== "string" || !UUID_RE.test(value))
    throw new ValidationError(`${field}: ${JSON.stringify(value)} is not a UUID`);
  return value.toLowerCase();
}

/** `value` when it is one of `allowed`; throws ValidationError naming `field` (an enum never falls back to a default). */
export function xmlChoice<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new ValidationError(`${field}: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  return value as T;
}

/** Always an array: fast-xml-parser gives one child as an object, several as an array. */
export function children(node: unknown, name: string): XmlNode[] {
  if (node === null || typeof node !== "object") return [];
  const v = (node as XmlNode)[name];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) =>
    x !== null && typeof x === "object" ? (x as XmlNode) : { "#text": x === "" ? undefined : String(x) },
  );
}

/** First child element `name`, or undefined. */
export function child(node: unknown, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** Text content of child `name` (or of `node` itself when `name` is omitted). */
export function text(node: unknown, name?: string): string | null {
  const target = name === undefined ? node : child(node, name);
  if (target === undefined || target === null) return null;
  if (typeof target !== "object") return String(target);
  const t = (target as XmlNode)["#text"];
  return t === undefined || t === null ? null : String(t);
}

/** Attribute `name` of `node`, or null. */
export function attr(node: unknown, name: string): string | null {
  if (node === null || node === undefined || typeof node !== "object") return null;
  const v = (node as XmlNode)[`@_${name}`];
  return v === undefined || v === null ? null : String(v);
}

/** Parses a non-negative integer field; throws ProtocolError naming `what`. */
export function toInt(value: string | null, what: string): number {
  if (value === null || !/^\s*\d+\s*$/.test(value))
    throw new ProtocolError(`XML from libvirt: ${what} is not an integer (${value ?? "missing"})`);
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) throw new ProtocolError(`XML from libvirt: ${what} is too large (${value})`);
  return n;
}
