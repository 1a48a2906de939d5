import { describe, expect, it } from "vitest";
import { storeFailureRetryAfterMs } from "../../../controller/agents/index.js";
import { HostConditions, hostState } from "../../../controller/hosts/index.js";

describe("host state (controller/hosts/host-state.ts)", () => {
  it("is degraded while a connected agent says so, disconnected whatever it said, connected otherwise", () => {
    const c = new HostConditions();
    expect(hostState({ name: "a", connected: true }, c)).toEqual({ state: "connected", detail: "" });
    c.setAgentHealth("a", "state store cannot be written: database or disk is full");
    expect(hostState({ name: "a", connected: true }, c)).toEqual({
      state: "degraded",
      detail: "state store cannot be written: database or disk is full",
    });
    expect(hostState({ name: "a", connected: false }, c).state).toBe("disconnected");
    c.setAgentHealth("a", "");
    expect(hostState({ name: "a", connected: true }, c).state).toBe("connected");
  });

  it("compliance is unknown while the store cannot write the host's events", () => {
    const c = new HostConditions();
    c.setStoreFailure("a", "database or disk is full");
    expect(c.complianceUnknownReason("a")).toMatch(
      /could not store this host's latest events \(database or disk is full\)/,
    );
    expect(c.complianceUnknownReason("b")).toBe("");
    c.setStoreFailure("a", null);
    expect(c.complianceUnknownReason("a")).toBe("");
  });

  it("a failing store asks agents to wait 5-10 s", () => {
    expect(storeFailureRetryAfterMs(() => 0)).toBe(5_000);
    expect(storeFailureRetryAfterMs(() => 0.999)).toBeLessThan(10_000);
    expect(storeFailureRetryAfterMs(() => 0.5)).toBe(7_500);
  });
});
