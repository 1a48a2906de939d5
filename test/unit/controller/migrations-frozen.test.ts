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
  [
    10,
    "controller replicas: the leader's fencing epoch",
    "9f8595ebc01b0fdc541ff092fe0dc93e8eb6cfcdac30077839c82a20972c63ca",
  ],
  [
    11,
    "controller replicas: who holds each host, the replicas, the shared CA",
    "3ced7f7db5911d11d2593f121edf2f480cb3d004075e3b0f3aa0a141f21d0e37",
  ],
  [12, "drift events by the time they were stored", "90727692f95926acdd99e0a05f34adf246fa622558bc19b9861d69e7c5c65ae4"],
  [13, "plan requests between controller replicas", "b0e0303c130182e9e98aa0448292a21d3cf14723c6ee2ff981a1459da07ff720"],
  [14, "hosts: facts out of the row on PostgreSQL", "be09f8ef562b29ce032a8803520bdb773d2afe9a5b4137600d332e4d06576bed"],
] as const;

/** The same steps' PostgreSQL texts, frozen from their first release (issue 25) on. */
const RELEASED_PG = [
  [1, "hosts and fact history", "2babd78e2252aababafb7c78e674374cfbeeaa6404f7ec145f4465c520e36e1b"],
  [2, "policy revisions and host bundles", "4c5d9ec0c695a6305c90c72492f6f235264a4177d8b3cf06d4441cc760fde71c"],
  [
    3,
    "reports, drift events, compliance snapshots, alert deliveries",
    "2cc5e58d775d02bd745dc1ce2b24195f06e50d4332f4ade3931cec3d52520c51",
  ],
  [4, "rollouts", "5aa3c8bd2297f85bf02d0fafa087fa51766636be6347665e2eb825bd661d60b2"],
  [5, "pki", "5a6f38569dac24ae75b4c887e3c98ce09da326e4bc31db883d2cae53cf092bcf"],
  [6, "audit", "204658a57b7fbc34c022b4aef5d00fad3f638d2f5c1013dee16f462147693e61"],
  [7, "certificate-fingerprints", "952c8ddf8bc83d8d0cd6cb9f0bfa14602b2acf78debfcbac3893855a712ced55"],
  [8, "dashboard sign-in links and sessions", "0e7c46c8f8756734604c7e2c355b520d25edd9437a1aae53d5f1d7cab612a2f5"],
  [9, "compliance snapshot fleet figures", "92ce71fa04913efdf549f5f7ff09970ff01f2c9d9cd0cecb655330f5055e845f"],
  [
    10,
    "controller replicas: the leader's fencing epoch",
    "8f1db837439523973618e3194620aad49891e130d2c8e104d0d63d621c77879a",
  ],
  [
    11,
    "controller replicas: who holds each host, the replicas, the shared CA",
    "888a2e7c57600c7c6158fc44ebef74a31b356b3fdb907082887f3a6d363f2d2c",
  ],
  [12, "drift events by the time they were stored", "90727692f95926acdd99e0a05f34adf246fa622558bc19b9861d69e7c5c65ae4"],
  [13, "plan requests between controller replicas", "d5fb79f17a307b79744cc8035a30110ea682c708810522f0f50dc1656d26234e"],
  [14, "hosts: facts out of the row on PostgreSQL", "21a5454a6c5c0949f0bfa9c074d5f55648cc5003aeb2f8396d4328a0862d422b"],
] as const;

describe("controller schema steps", () => {
  it("released PostgreSQL steps keep their SQL byte for byte", () => {
    const actual = CONTROLLER_MIGRATIONS.slice(0, RELEASED_PG.length).map((m) => [
      m.version,
      m.name,
      createHash("sha256")
        .update(m.postgres ?? "")
        .digest("hex"),
    ]);
    expect(actual).toEqual(RELEASED_PG);
  });

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
