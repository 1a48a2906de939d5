import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalJson } from "../../../common/canonical-json.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("is independent of insertion order", () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
    expect(canonicalHash({ x: 1, y: [1, 2] })).toBe(canonicalHash({ y: [1, 2], x: 1 }));
  });

  it("keeps array order", () => {
    expect(canonicalJson([2, 1])).toBe("[2,1]");
  });

  it("sorts keys by UTF-16 code units", () => {
    expect(canonicalJson({ "\uff61": 1, "\u{1F600}": 2, a: 3, B: 4 })).toBe('{"B":4,"a":3,"\u{1F600}":2,"\uff61":1}');
  });

  it("writes scalars like JSON.stringify", () => {
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson(true)).toBe("true");
    expect(canonicalJson(1e21)).toBe("1e+21");
    expect(canonicalJson(-0)).toBe("0");
    expect(canonicalJson(0.1)).toBe("0.1");
    expect(canonicalJson('a"\n\u2028')).toBe(JSON.stringify('a"\n\u2028'));
  });

  it("omits undefined properties and honours toJSON", () => {
    expect(canonicalJson({ a: undefined, b: new Date(0) })).toBe('{"b":"1970-01-01T00:00:00.000Z"}');
  });

  it.each([
    [{ a: NaN }, /\$\.a is NaN/],
    [{ a: [1, Infinity] }, /\$\.a\[1\] is Infinity/],
    [[undefined], /\$\[0\] is undefined/],
    [{ a: 1n }, /bigint/],
    [{ f: () => 1 }, /function/],
  ])("rejects %o", (value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it("rejects cycles but allows shared references", () => {
    const shared = { s: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"s":1},"b":{"s":1}}');
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => canonicalJson(cyc)).toThrow(/circular/);
  });

  it("hashes to lower-case sha256 hex", () => {
    // sha256 of the two bytes "{}"
    expect(canonicalHash({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });
});
