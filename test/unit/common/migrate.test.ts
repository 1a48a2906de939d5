import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { applyMigrations, MigrationError, type Migration } from "../../../common/index.js";

const m1: Migration = { version: 1, name: "t", sql: "CREATE TABLE t (x INTEGER)" };
const m2: Migration = { version: 2, name: "u", sql: "CREATE TABLE u (y INTEGER)" };

describe("applyMigrations", () => {
  it("applies pending steps once and records the version", () => {
    const db = new Database(":memory:");
    expect(applyMigrations(db, [m1])).toBe(1);
    expect(applyMigrations(db, [m1, m2])).toBe(2);
    expect(applyMigrations(db, [m1, m2])).toBe(2);
    expect(db.pragma("user_version", { simple: true })).toBe(2);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all()).toEqual([
      { name: "t" },
      { name: "u" },
    ]);
  });

  it("rolls a failing step back completely and names it", () => {
    const db = new Database(":memory:");
    const bad: Migration = {
      version: 2,
      name: "half",
      sql: "CREATE TABLE v (z INTEGER); CREATE TABLE t (dup INTEGER);",
    };
    expect(() => applyMigrations(db, [m1, bad])).toThrow(/migration 2 \(half\) failed/);
    expect(db.pragma("user_version", { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name='v'").get()).toEqual({ n: 0 });
  });

  it("refuses a database newer than the code and gaps in the list", () => {
    const db = new Database(":memory:");
    applyMigrations(db, [m1, m2]);
    expect(() => applyMigrations(db, [m1])).toThrow(MigrationError);
    expect(() => applyMigrations(new Database(":memory:"), [m2])).toThrow(/not consecutive/);
  });
});
