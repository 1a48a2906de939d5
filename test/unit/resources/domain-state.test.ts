import { describe, expect, it } from "vitest";
import { policyState } from "../../../kinds/domain/state.js";

describe("policyState", () => {
  it("maps libvirt states to the policy's running/paused/shutoff", () => {
    expect(["running", "blocked", "shutdown"].map((s) => policyState(s as never))).toEqual([
      "running",
      "running",
      "running",
    ]);
    expect(["paused", "pmsuspended"].map((s) => policyState(s as never))).toEqual(["paused", "paused"]);
    expect(["shutoff", "crashed", "nostate", "unknown"].map((s) => policyState(s as never))).toEqual([
      "shutoff",
      "shutoff",
      "shutoff",
      "shutoff",
    ]);
  });
});
