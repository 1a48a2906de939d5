/**
 * remote_typed_param (libvirt's src/remote/remote_protocol.x): each arm of the value union
 * encodes to the XDR libvirtd expects and decodes back; bad input throws XdrError.
 */
import { describe, expect, it } from "vitest";
import {
  readTypedParam,
  readTypedParams,
  typedParamNumbers,
  writeTypedParam,
  writeTypedParams,
  type TypedParam,
} from "../../../libvirt/index.js";
import { XdrError, XdrReader, XdrWriter } from "../../../libvirt/xdr.js";

const encode = (p: TypedParam): Buffer => {
  const w = new XdrWriter();
  writeTypedParam(w, p);
  return Buffer.from(w.bytes());
};
const roundTrip = (p: TypedParam): TypedParam => {
  const r = new XdrReader(encode(p));
  const back = readTypedParam(r);
  r.end();
  return back;
};

describe("typed parameters codec", () => {
  it("every type round-trips", () => {
    const all: TypedParam[] = [
      { field: "i", type: "int", value: -7 },
      { field: "u", type: "uint", value: 0xffff_ffff },
      { field: "l", type: "llong", value: -(1n << 62n) },
      { field: "total_bytes_sec", type: "ullong", value: (1n << 64n) - 1n },
      { field: "d", type: "double", value: 3.25 },
      { field: "b", type: "boolean", value: true },
      { field: "group_name", type: "string", value: "grp-ä" },
    ];
    for (const p of all) expect(roundTrip(p)).toEqual(p);
    const w = new XdrWriter();
    writeTypedParams(w, all, 32);
    const r = new XdrReader(Buffer.from(w.bytes()));
    expect(readTypedParams(r, 32)).toEqual(all);
    r.end();
  });

  it("wire layout: field string, type code, value (ullong: 8 bytes big-endian)", () => {
    expect(encode({ field: "total_iops_sec", type: "ullong", value: 2000n }).toString("hex")).toBe(
      [
        "0000000e", // field length 14
        Buffer.from("total_iops_sec").toString("hex") + "0000", // + padding to 16
        "00000004", // VIR_TYPED_PARAM_ULLONG
        "00000000000007d0",
      ].join(""),
    );
    expect(encode({ field: "b", type: "boolean", value: false }).toString("hex")).toBe(
      "00000001" + "62000000" + "00000006" + "00000000",
    );
    expect(encode({ field: "d", type: "double", value: 1 }).toString("hex")).toBe(
      "00000001" + "64000000" + "00000005" + "3ff0000000000000",
    );
  });

  it("refuses unknown types, bad booleans, out-of-range values, long field names and too many params", () => {
    const bad = Buffer.from("00000001" + "78000000" + "00000009" + "00000000", "hex");
    expect(() => readTypedParam(new XdrReader(bad))).toThrow(XdrError);
    const badBool = Buffer.from("00000001" + "78000000" + "00000006" + "00000002", "hex");
    expect(() => readTypedParam(new XdrReader(badBool))).toThrow(/bool/);
    expect(() => encode({ field: "x", type: "uint", value: -1 })).toThrow(XdrError);
    expect(() => encode({ field: "x", type: "ullong", value: -1n })).toThrow(XdrError);
    expect(() => encode({ field: "x".repeat(80), type: "int", value: 1 })).toThrow(/exceeds maximum 79/);
    expect(() => encode({ field: "x", type: "nope", value: 1 } as unknown as TypedParam)).toThrow(/unknown typed/);
    const w = new XdrWriter();
    w.uint(33);
    expect(() => readTypedParams(new XdrReader(Buffer.from(w.bytes())), 32)).toThrow(/exceeds maximum 32/);
    const w2 = new XdrWriter();
    w2.uint(30);
    expect(() => readTypedParams(new XdrReader(Buffer.from(w2.bytes())), 32)).toThrow(/cannot fit/);
  });

  it("typedParamNumbers keeps exact numbers only", () => {
    expect(
      typedParamNumbers([
        { field: "a", type: "ullong", value: 5n },
        { field: "big", type: "ullong", value: (1n << 60n) + 1n },
        { field: "g", type: "string", value: "x" },
        { field: "i", type: "int", value: -1 },
      ]),
    ).toEqual({ a: 5, i: -1 });
  });
});
