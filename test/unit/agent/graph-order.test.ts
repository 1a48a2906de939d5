import { describe, expect, it } from "vitest";
import { buildGraph, type CheckResult, type Resource, type ResourceKind } from "../../../engine/index.js";

const res = (kind: ResourceKind, name: string): Resource =>
  ({
    kind,
    name,
    dependsOn: [],
    removing: false,
    checkApply: async (): Promise<CheckResult> => ({ changes: [] }) as unknown as CheckResult,
  }) as unknown as Resource;

describe("engine order within a kind", () => {
  it("is by code unit, the same on every host whatever its locale (no ICU collation in the agent)", () => {
    const g = buildGraph(
      ["web", "Web", "a_b", "a-b", "a.b", "a+b", "a1", "B"]
        .map((n) => res("domain", n))
        .concat([res("pool", "z"), res("network", "Z")]),
    );
    expect(g.ids).toEqual([
      "network/Z",
      "pool/z",
      "domain/B",
      "domain/Web",
      "domain/a+b",
      "domain/a-b",
      "domain/a.b",
      "domain/a1",
      "domain/a_b",
      "domain/web",
    ]);
  });
});
