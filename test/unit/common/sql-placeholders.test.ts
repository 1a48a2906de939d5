import { describe, expect, it } from "vitest";
import { numberPlaceholders, SqlParamsError } from "../../../common/index.js";

describe("numberPlaceholders (PostgreSQL's $n)", () => {
  it("numbers ? in order and keeps the array", () => {
    expect(numberPlaceholders("SELECT * FROM t WHERE a = ? AND b > ?", ["x", 2])).toEqual({
      text: "SELECT * FROM t WHERE a = $1 AND b > $2",
      values: ["x", 2],
    });
  });

  it("gives one number per @name, in first-use order, undefined as NULL", () => {
    expect(numberPlaceholders("UPDATE t SET a = @a, b = @b WHERE a <> @a", { b: 1, a: undefined, extra: 3 })).toEqual({
      text: "UPDATE t SET a = $1, b = $2 WHERE a <> $1",
      values: [null, 1],
    });
  });

  it("leaves quoted text, quoted identifiers and comments alone", () => {
    const r = numberPlaceholders(`SELECT '?', 'it''s @x', "a?b" FROM t -- where ? @y\nWHERE c = ?`, [5]);
    expect(r.text).toBe(`SELECT '?', 'it''s @x', "a?b" FROM t -- where ? @y\nWHERE c = $1`);
    expect(r.values).toEqual([5]);
  });

  it("refuses a count mismatch, a missing name and mixed kinds", () => {
    expect(() => numberPlaceholders("SELECT ?", [])).toThrow(SqlParamsError);
    expect(() => numberPlaceholders("SELECT @a", { b: 1 })).toThrow(/missing param @a/);
    expect(() => numberPlaceholders("SELECT ?, @a", [1])).toThrow(/mixes/);
    expect(() => numberPlaceholders("SELECT 1", [1])).toThrow(/no placeholders/);
  });
});
