import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../../common/index.js";
import { EVENT_LIMITS, validatePlanResult } from "../../../controller/agent-messages/index.js";

const outcome = (over: object = {}) => ({
  kind: "domain",
  name: "web-01",
  policy: "web",
  outcome: "drift",
  changesJson: JSON.stringify([{ field: "vcpus", from: 1, to: 2, disruption: "restart" }]),
  error: "",
  pendingRestart: false,
  // protocol 0: the typed field is empty
  changes: [],
  ...over,
});
const result = (over: object = {}) => ({
  commandId: "plan-1f2e",
  bundleRevision: "b:abc",
  resources: [outcome()],
  error: "",
  durationMs: 42,
  ...over,
});

const rejects = (r: object, pattern: RegExp) => {
  expect(() => validatePlanResult(r as never)).toThrow(ProtocolError);
  expect(() => validatePlanResult(r as never)).toThrow(pattern);
};

describe("validatePlanResult", () => {
  it("accepts a result and parses its changes", () => {
    expect(validatePlanResult(result())).toEqual({
      commandId: "plan-1f2e",
      bundleRevision: "b:abc",
      error: "",
      durationMs: 42,
      resources: [
        {
          kind: "domain",
          name: "web-01",
          policy: "web",
          outcome: "drift",
          error: "",
          pendingRestart: false,
          changes: [{ field: "vcpus", from: 1, to: 2, disruption: "restart" }],
        },
      ],
    });
  });

  it("accepts an error with no resources, and empty changes as none", () => {
    expect(validatePlanResult(result({ resources: [], error: "libvirt unreachable" }))).toMatchObject({
      error: "libvirt unreachable",
      resources: [],
    });
    expect(
      validatePlanResult(result({ resources: [outcome({ outcome: "ok", changesJson: "" })] })).resources[0]!.changes,
    ).toEqual([]);
  });

  it("keeps absent from/to as null and destructive only when true", () => {
    const r = validatePlanResult(
      result({
        resources: [
          outcome({
            changesJson: JSON.stringify([
              { field: "capacity", to: 1, disruption: "live", destructive: true },
              { field: "x", from: 1, to: null, disruption: "live", destructive: false },
            ]),
          }),
        ],
      }),
    );
    expect(r.resources[0]!.changes).toEqual([
      { field: "capacity", from: null, to: 1, disruption: "live", destructive: true },
      { field: "x", from: 1, to: null, disruption: "live" },
    ]);
  });

  it.each([
    [result({ commandId: "" }), /commandId/],
    [result({ commandId: "a b" }), /commandId/],
    [result({ bundleRevision: "x".repeat(257) }), /bundleRevision/],
    [result({ bundleRevision: "a\nb" }), /bundleRevision/],
    [result({ error: "e".repeat(EVENT_LIMITS.textBytes + 1), resources: [] }), /planResult.error is larger/],
    [result({ durationMs: -1 }), /durationMs/],
    [result({ error: "boom" }), /both an error and resources/],
    [result({ resources: [outcome({ kind: "vm" })] }), /planResult.resources\[0\].kind/],
    [result({ resources: [outcome({ outcome: "planned" })] }), /resources\[0\].outcome/],
    [result({ resources: [outcome({ name: "" })] }), /resources\[0\].name must not be empty/],
    [result({ resources: [outcome({ changesJson: "{" })] }), /changesJson is not valid JSON/],
    [result({ resources: [outcome({ changesJson: "{}" })] }), /must be a JSON array/],
    [result({ resources: [outcome({ changesJson: JSON.stringify(["x"]) })] }), /changesJson\[0\] is not an object/],
    [
      result({ resources: [outcome({ changesJson: JSON.stringify([{ from: 1, to: 2, disruption: "live" }]) })] }),
      /changesJson\[0\].field/,
    ],
    [
      result({ resources: [outcome({ changesJson: JSON.stringify([{ field: "a", disruption: "soon" }]) })] }),
      /changesJson\[0\].disruption/,
    ],
    [result({ resources: [outcome({ changesJson: `[${"[".repeat(40)}${"]".repeat(40)}]` })] }), /nests deeper/],
    [
      result({ resources: [outcome({ changesJson: JSON.stringify(["x".repeat(EVENT_LIMITS.jsonBytes)]) })] }),
      /larger than/,
    ],
  ])("rejects %#", (r, pattern) => rejects(r, pattern));
});
