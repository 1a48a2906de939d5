import type { JsonNode } from "../../generated/proto/fleet/v1/JsonNode.js";
import type { JsonValue, JsonValue__Output } from "../../generated/proto/fleet/v1/JsonValue.js";
import { ProtocolError } from "../errors.js";

/** Deepest nesting a decoded value may have (as the controller's JSON-text limit). */
export const MAX_JSON_VALUE_DEPTH = 32;

/**
 * A JSON value (what JSON.parse returns) as a proto JsonValue: its nodes in pre-order
 * (types.proto). Follows JSON.stringify's rules: `undefined`, functions and symbols are left
 * out of objects and become null elsewhere, non-finite numbers become null, `toJSON` is
 * honoured; object member order is kept.
 */
export function toJsonValue(v: unknown): JsonValue {
  const nodes: JsonNode[] = [];
  encode(v, nodes, undefined);
  return { nodes };
}

function encode(v: unknown, nodes: JsonNode[], key: string | undefined): void {
  const k = key === undefined ? {} : { key };
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    encode((v as { toJSON: () => unknown }).toJSON(), nodes, key);
    return;
  }
  if (v === null || v === undefined) nodes.push({ nullValue: true, ...k });
  else if (typeof v === "boolean") nodes.push({ boolValue: v, ...k });
  else if (typeof v === "number") nodes.push(Number.isFinite(v) ? { numberValue: v, ...k } : { nullValue: true, ...k });
  else if (typeof v === "string") nodes.push({ stringValue: v, ...k });
  else if (typeof v === "bigint") nodes.push({ numberValue: Number(v), ...k });
  else if (Array.isArray(v)) {
    nodes.push({ listLength: v.length, ...k });
    for (const x of v) encode(x, nodes, undefined);
  } else if (typeof v === "object") {
    const members = Object.entries(v as Record<string, unknown>).filter(
      ([, x]) => x !== undefined && typeof x !== "function" && typeof x !== "symbol",
    );
    nodes.push({ objectSize: members.length, ...k });
    for (const [mk, x] of members) encode(x, nodes, mk);
  } else nodes.push({ nullValue: true, ...k });
}

type Kind = NonNullable<JsonNode["kind"]>;
const KINDS: readonly Kind[] = ["nullValue", "boolValue", "numberValue", "stringValue", "listLength", "objectSize"];

/** The oneof member set: `kind` as decoded from the wire, else the one member present (a node built in process). */
function kindOf(n: JsonNode): Kind | undefined {
  return n.kind ?? KINDS.find((k) => n[k] !== undefined && n[k] !== null);
}

interface Open {
  value: unknown[] | Record<string, unknown>;
  remaining: number;
}

/**
 * A received JsonValue as a plain JSON value; absent or without nodes = null. Iterative (a
 * hostile value cannot exhaust the stack). Throws ProtocolError naming `at` when it nests
 * deeper than `maxDepth`, its nodes end early or run on past the value, or an object repeats
 * a key. A node without a kind reads as null.
 */
export function fromJsonValue(
  v: JsonValue__Output | JsonValue | null | undefined,
  at: string,
  maxDepth = MAX_JSON_VALUE_DEPTH,
): unknown {
  const nodes = v?.nodes ?? [];
  if (nodes.length === 0) return null;
  const stack: Open[] = [];
  let root: unknown = null;
  let i = 0;
  do {
    const n = nodes[i++];
    if (n === undefined) throw new ProtocolError(`${at} ends before its last element`);
    let value: unknown;
    let open: Open | undefined;
    switch (kindOf(n)) {
      case "boolValue":
        value = n.boolValue === true;
        break;
      case "numberValue":
        value = Number.isFinite(Number(n.numberValue)) ? Number(n.numberValue) : null;
        break;
      case "stringValue":
        value = n.stringValue ?? "";
        break;
      case "listLength":
        value = [];
        open = { value: value as unknown[], remaining: n.listLength ?? 0 };
        break;
      case "objectSize":
        value = {};
        open = { value: value as Record<string, unknown>, remaining: n.objectSize ?? 0 };
        break;
      default:
        value = null;
    }
    if (open && stack.length + 1 > maxDepth) throw new ProtocolError(`${at} nests deeper than ${maxDepth} levels`);
    const parent = stack.at(-1);
    if (!parent) root = value;
    else {
      if (Array.isArray(parent.value)) parent.value.push(value);
      else {
        const key = n.key ?? "";
        if (Object.hasOwn(parent.value, key))
          throw new ProtocolError(`${at} repeats the key ${JSON.stringify(key.slice(0, 40))}`);
        // defineProperty: a key "__proto__" stays a plain member, as JSON.parse makes it
        Object.defineProperty(parent.value, key, { value, enumerable: true, writable: true, configurable: true });
      }
      parent.remaining -= 1;
    }
    if (open && open.remaining > 0) stack.push(open);
    while (stack.length > 0 && stack.at(-1)!.remaining === 0) stack.pop();
  } while (stack.length > 0);
  if (i !== nodes.length) throw new ProtocolError(`${at} has ${nodes.length - i} nodes after its value`);
  return root;
}
