import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";

/**
 * The controller's schema steps as released: a step's SQL never changes, wherever its parts
 * live (each table's owner holds its part), or existing databases would no longer match it.
 */
const RELEASED = [
  [1, "hosts and fact history", "791a2e29d3166b85017c88f90baf505a6e3bde00ae46702b8c72f5866b5bf858"],
  [2, "policy revisions and host bundles", "345d1f0ee70732e4337cf33827a9f90869e09318b387b5445617e7383165c256"],
  [
    3,
    "reports, drift events, compliance snapshots, alert deliveries",
    "30cb243e738c1296024b1febd9b85c311d2a0ebcbeb0e44017e9ef72be3596a1",
  ],
  [4, "rollouts", "c6d1f6d0d98b1b5763815cba0dc6105a58708af458476499fbd5aee914f30e38"],
  [5, "pki", "f5394c29a35c98d8a833ca4d1dc6709c5c87ce8aebfd114ccc8d67be798f1845"],
  [6, "audit", "347811a1f6b31a39776cb6ca64fdb7c18afb2ce190fb657f9e0c18a073d219bc"],
  [7, "certificate-fingerprints", "952c8ddf8bc83d8d0cd6cb9f0bfa14602b2acf78debfcbac3893855a712ced55"],
  [8, "dashboard sign-in links and sessions", "3fab490c5cf54efd4296aab83624346ee3ac1e8343e4e18c97b0e3bb109735a4"],
  [9, "compliance snapshot fleet figures", "e6f97a95c086de9576404cb149d6068fdb9c8841ec1f1a88bf066857db3a19d0"],
] as const;

describe("controller schema steps", () => {
  it("released steps keep their number, name and SQL byte for byte", () => {
    const actual = CONTROLLER_MIGRATIONS.slice(0, RELEASED.length).map((m) => [
      m.version,
      m.name,
      createHash("sha256").update(m.sql).digest("hex"),
    ]);
    expect(actual).toEqual(RELEASED);
  });

  it("apply in order to an empty database", () => {
    const db = new Database(":memory:");
    expect(applyMigrations(db, CONTROLLER_MIGRATIONS)).toBe(CONTROLLER_MIGRATIONS.length);
    db.close();
  });
});
