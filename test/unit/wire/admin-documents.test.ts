import { describe, expect, it } from "vitest";
import { fleetProto, ProtocolError } from "../../../common/index.js";
import {
  decodeCompliance,
  decodePlan,
  decodeRolloutStatus,
  documentOf,
  encodeCompliance,
  encodePlan,
  encodeRolloutStatus,
  type ComplianceReport,
  type PlanJson,
  type RolloutStatusJson,
} from "../../../common/wire/index.js";
import { aggregatePlan } from "../../../controller/plan/index.js";
import { computeCompliance } from "../../../controller/compliance/index.js";

/** Through the admin API's own codecs, as the controller sends and the CLI receives. */
function wire<T>(method: "Plan" | "RolloutStatus" | "Compliance", res: object): T {
  const m = fleetProto().AdminService.service[method];
  return m.responseDeserialize(m.responseSerialize(res)) as T;
}

// Built by the controller's own builders, so key order and optional keys are theirs.
const PLAN: PlanJson = aggregatePlan({
  policy: "web",
  revision: "r2",
  previousRevision: "r1",
  targets: ["kvm01", "kvm02", "kvm03"],
  now: Date.parse("2026-01-01T12:00:00.000Z"),
  answers: new Map([
    [
      "kvm01",
      {
        status: "planned",
        durationMs: 42,
        resources: [
          {
            kind: "domain",
            name: "web-01",
            policy: "web",
            outcome: "drift",
            error: "",
            pendingRestart: false,
            changes: [
              { field: "state", from: "absent", to: "running", disruption: "live" },
              { field: "vcpus", from: 1, to: 2, disruption: "restart", destructive: true },
            ],
          },
          {
            kind: "network",
            name: "n1",
            policy: "web",
            outcome: "failed",
            error: "libvirt said no",
            pendingRestart: false,
            changes: [],
          },
        ],
      },
    ],
    ["kvm02", { status: "error", error: "bundle invalid" }],
  ]) as never,
});

describe("admin documents on the wire", () => {
  it("plan --json: the CLI prints the document the controller built, byte for byte", () => {
    expect(PLAN.previousRevision).toBe("r1");
    const res = wire<{ plan: never; planJson: string }>("Plan", { plan: encodePlan(PLAN) });
    expect(res.planJson).toBe("");
    const back = decodePlan(res.plan);
    expect(JSON.stringify(back)).toBe(JSON.stringify(PLAN));
    const { previousRevision: _, ...withoutPrevious } = PLAN;
    const again = decodePlan(wire<{ plan: never }>("Plan", { plan: encodePlan(withoutPrevious) }).plan);
    expect(JSON.stringify(again)).toBe(JSON.stringify(withoutPrevious));
    expect("previousRevision" in again).toBe(false);
  });

  it("rollout status --json, with its stage-0 plan and optional keys", () => {
    const status: RolloutStatusJson = {
      policy: "web",
      id: "ro-1",
      revision: "r2",
      state: "running",
      rollingBack: false,
      createdAt: "2026-01-01T12:00:00.000Z",
      stages: [
        { index: 0, kind: "plan", hosts: [], state: "succeeded", startedAt: "2026-01-01T12:00:01.000Z" },
        { index: 1, kind: "canary", hosts: ["kvm01"], state: "soaking", soakUntil: "2026-01-01T12:05:00.000Z" },
      ],
      failedHosts: [],
      hosts: [
        { name: "kvm01", stage: 1, phase: "converged", online: true },
        { name: "kvm02", stage: -1, phase: "waiting", online: false, reason: "offline" },
      ],
      lateHosts: ["kvm09"],
      previousRevision: "r1",
      startedAt: "2026-01-01T12:00:01.000Z",
      plan: PLAN,
    };
    const res = wire<{ found: boolean; status: never; statusJson: string }>("RolloutStatus", {
      found: true,
      status: encodeRolloutStatus(status),
    });
    expect(JSON.stringify(decodeRolloutStatus(res.status))).toBe(JSON.stringify(status));
  });

  it("compliance --json, with and without the alerts block (lastError null when unset)", () => {
    const report: ComplianceReport = computeCompliance(
      [
        {
          name: "kvm01",
          connected: true,
          observedGeneration: 3,
          lastReportAt: Date.parse("2026-01-01T12:00:00.000Z"),
          bundle: { generation: 3, revision: "b3", policies: [{ name: "web", revision: "r2" }] },
          observedPolicies: new Map([["web", "r2"]]),
          resources: [{ policy: "web", kind: "domain", name: "web-01", outcome: "drift", eventSeq: 4 }],
          openDrift: [],
        },
        {
          name: "kvm02",
          connected: false,
          observedGeneration: 0,
          lastReportAt: null,
          bundle: null,
          observedPolicies: new Map(),
          resources: [],
          openDrift: [],
        },
      ],
      Date.parse("2026-01-01T12:01:00.000Z"),
    );
    const plain = decodeCompliance(wire<{ report: never }>("Compliance", { report: encodeCompliance(report) }).report);
    expect(JSON.stringify(plain)).toBe(JSON.stringify(report));
    for (const alerts of [
      { webhooks: ["https://h.example/x"], pending: 1, failing: 1, abandoned: 0, lastError: null },
      {
        webhooks: [],
        pending: 0,
        failing: 0,
        abandoned: 2,
        lastError: "HTTP 500",
        lastErrorAt: "2026-01-01T11:00:00.000Z",
      },
    ]) {
      const withAlerts = { ...report, alerts };
      const back = decodeCompliance(
        wire<{ report: never }>("Compliance", { report: encodeCompliance(withAlerts) }).report,
      );
      expect(JSON.stringify(back)).toBe(JSON.stringify(withAlerts));
    }
  });

  it("reads the previous release's JSON text when the typed document is absent, and refuses garbage", () => {
    expect(documentOf("plan", null, JSON.stringify(PLAN), decodePlan)).toEqual(PLAN);
    expect(() => documentOf("plan", null, "not json", decodePlan)).toThrow(ProtocolError);
    expect(() => documentOf("plan", undefined, "[1]", decodePlan)).toThrow(/plan document that is not a JSON object/);
  });
});
