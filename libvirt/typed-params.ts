/**
 * virTypedParameter on the wire: `remote_typed_param` from libvirt's
 * src/remote/remote_protocol.x —
 *
 *   union remote_typed_param_value switch (int type) {
 *     case VIR_TYPED_PARAM_INT: int i;            case VIR_TYPED_PARAM_UINT: unsigned int ui;
 *     case VIR_TYPED_PARAM_LLONG: hyper l;        case VIR_TYPED_PARAM_ULLONG: unsigned hyper ul;
 *     case VIR_TYPED_PARAM_DOUBLE: double d;      case VIR_TYPED_PARAM_BOOLEAN: int b;
 *     case VIR_TYPED_PARAM_STRING: remote_nonnull_string s;
 *   };
 *   struct remote_typed_param { remote_nonnull_string field; remote_typed_param_value value; };
 *
 * Contract: 64-bit values are bigints (exact); a field name is at most
 * TYPED_PARAM_FIELD_MAX bytes; an unknown type code, a boolean other than 0/1 or a value out
 * of its type's range throws XdrError, on encode and decode alike.
 */
import { STRING_MAX } from "./constants.js";
import { XdrError, type XdrReader, type XdrWriter } from "./xdr.js";

/** virTypedParameterType. */
export const TypedParamType = { INT: 1, UINT: 2, LLONG: 3, ULLONG: 4, DOUBLE: 5, BOOLEAN: 6, STRING: 7 } as const;

/** VIR_TYPED_PARAM_FIELD_LENGTH (80, with the C string's NUL): the longest field name is 79 bytes. */
export const TYPED_PARAM_FIELD_MAX = 79;

/** virTypedParameterFlags: the caller understands string parameters (set on every get). */
export const TYPED_PARAM_STRING_OKAY = 4;

export type TypedParam =
  | { field: string; type: "int"; value: number }
  | { field: string; type: "uint"; value: number }
  | { field: string; type: "llong"; value: bigint }
  | { field: string; type: "ullong"; value: bigint }
  | { field: string; type: "double"; value: number }
  | { field: string; type: "boolean"; value: boolean }
  | { field: string; type: "string"; value: string };

export function writeTypedParam(w: XdrWriter, p: TypedParam): void {
  w.string(p.field, TYPED_PARAM_FIELD_MAX);
  switch (p.type) {
    case "int":
      w.int(TypedParamType.INT).int(p.value);
      return;
    case "uint":
      w.int(TypedParamType.UINT).uint(p.value);
      return;
    case "llong":
      w.int(TypedParamType.LLONG).hyper(p.value);
      return;
    case "ullong":
      w.int(TypedParamType.ULLONG).uhyper(p.value);
      return;
    case "double": {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(p.value, 0);
      w.int(TypedParamType.DOUBLE).fixedOpaque(b, 8);
      return;
    }
    case "boolean":
      w.int(TypedParamType.BOOLEAN).int(p.value ? 1 : 0);
      return;
    case "string":
      w.int(TypedParamType.STRING).string(p.value, STRING_MAX);
      return;
    default:
      throw new XdrError(`unknown typed parameter type ${JSON.stringify((p as { type: unknown }).type)}`);
  }
}

export function readTypedParam(r: XdrReader): TypedParam {
  const field = r.string(TYPED_PARAM_FIELD_MAX);
  const type = r.int();
  switch (type) {
    case TypedParamType.INT:
      return { field, type: "int", value: r.int() };
    case TypedParamType.UINT:
      return { field, type: "uint", value: r.uint() };
    case TypedParamType.LLONG:
      return { field, type: "llong", value: r.hyper() };
    case TypedParamType.ULLONG:
      return { field, type: "ullong", value: r.uhyper() };
    case TypedParamType.DOUBLE:
      return { field, type: "double", value: r.fixedOpaque(8).readDoubleBE(0) };
    case TypedParamType.BOOLEAN:
      return { field, type: "boolean", value: r.bool() };
    case TypedParamType.STRING:
      return { field, type: "string", value: r.string(STRING_MAX) };
    default:
      throw new XdrError(`typed parameter ${JSON.stringify(field)} has unknown type ${type}`);
  }
}

/** `remote_typed_param params<max>`. */
export function writeTypedParams(w: XdrWriter, params: readonly TypedParam[], max: number): void {
  w.array(params, max, writeTypedParam);
}

/** Smallest encoding of one param: empty field (4) + type (4) + an int (4). */
export const MIN_TYPED_PARAM_BYTES = 12;

export function readTypedParams(r: XdrReader, max: number): TypedParam[] {
  return r.array(max, readTypedParam, MIN_TYPED_PARAM_BYTES);
}

/** The parameters as numbers (int, uint, llong, ullong, double within the safe range); others left out. */
export function typedParamNumbers(params: readonly TypedParam[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of params) {
    if (p.type === "boolean" || p.type === "string") continue;
    const n = typeof p.value === "bigint" ? Number(p.value) : p.value;
    if (typeof p.value === "bigint" && BigInt(n) !== p.value) continue;
    out[p.field] = n;
  }
  return out;
}
