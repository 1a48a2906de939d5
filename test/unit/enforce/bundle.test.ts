import { describe, expect, it } from "vitest";
import { BundleError, parseBundle } from "../../../agent/enforce/index.js";
import type { DomainSpec, ResolvedPolicy } from "../../../common/index.js";
import { tinyDomainSpec as domain } from "../../harness/specs.js";

const policy = (name: string, domains: DomainSpec[]): ResolvedPolicy => ({
  name,
  description: null,
  mode: "enforce",
  priority: 0,
  source: { file: "x", line: 1, col: 1 },
  resources: { host: null, networks: [], pools: [], volumes: [], domains },
});
const wire = (policies: ResolvedPolicy[], mode = "enforce") => ({
  revision: "rev1",
  generation: 3,
  policies: policies.map((p) => ({ name: p.name, revision: "pr", mode, resolvedJson: JSON.stringify(p) })),
});

describe("policy bundle validation", () => {
  it("parses a valid bundle; the bundled mode wins", () => {
    const b = parseBundle(wire([policy("a", [domain("g1")])], "audit"));
    expect(b).toMatchObject({ revision: "rev1", generation: 3, resourceIds: ["domain/g1"] });
    expect(b.policies[0]!.mode).toBe("audit");
  });

  it("keeps the rolled-back revisions (PolicyBundle.rolled_back) in the bundle and its cached wire form", () => {
    const b = parseBundle({ ...wire([policy("a", [])]), rolledBack: [{ policy: "a", revision: "bad" }] });
    expect(b.rolledBack).toEqual([{ policy: "a", revision: "bad" }]);
    expect(parseBundle(JSON.parse(JSON.stringify(b.wire))).rolledBack).toEqual([{ policy: "a", revision: "bad" }]);
    expect(parseBundle({ ...wire([]), rolledBack: [] }).wire).not.toHaveProperty("rolledBack");
  });

  it.each([
    ["not an object", null, /not an object/],
    ["no revision", { ...wire([]), revision: "" }, /revision/],
    ["bad generation", { ...wire([]), generation: -1 }, /generation/],
    ["bad mode", wire([policy("a", [])], "yolo"), /mode/],
    [
      "bad json",
      { revision: "r", generation: 1, policies: [{ name: "a", mode: "enforce", resolvedJson: "{" }] },
      /not valid JSON/,
    ],
    [
      "wrong shape",
      {
        revision: "r",
        generation: 1,
        policies: [
          {
            name: "a",
            mode: "enforce",
            resolvedJson: JSON.stringify({ ...policy("a", []), resources: { domains: [{ name: 1 }] } }),
          },
        ],
      },
      /resources\./,
    ],
    [
      "bad domain field",
      wire([policy("a", [{ ...domain("g"), vcpus: "two" as unknown as number }])]),
      /domains\[0\]\.vcpus/,
    ],
    [
      "name mismatch",
      {
        revision: "r",
        generation: 1,
        policies: [{ name: "b", mode: "enforce", resolvedJson: JSON.stringify(policy("a", [])) }],
      },
      /named a/,
    ],
    ["duplicate resource", wire([policy("a", [domain("g")]), policy("b", [domain("g")])]), /inconsistent/],
    ["rolledBack not a list", { ...wire([]), rolledBack: "a" }, /rolledBack is not a list/],
    ["rolledBack entry", { ...wire([]), rolledBack: [{ policy: "a" }] }, /rolledBack\[0\]/],
  ])("rejects %s", (_what, input, message) => {
    expect(() => parseBundle(input)).toThrow(BundleError);
    expect(() => parseBundle(input)).toThrow(message);
  });
});
