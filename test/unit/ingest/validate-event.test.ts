import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../../common/index.js";
import { EVENT_LIMITS, validateAgentEvent } from "../../../controller/agent-messages/index.js";
import { driftMsg, reportMsg } from "./fixtures.js";

const rejects = (msg: Parameters<typeof validateAgentEvent>[0], pattern: RegExp) => {
  expect(() => validateAgentEvent(msg)).toThrow(ProtocolError);
  expect(() => validateAgentEvent(msg)).toThrow(pattern);
};

describe("validateAgentEvent", () => {
  it("accepts a well-formed report and drift event in stored form", () => {
    const r = validateAgentEvent(reportMsg());
    expect(r).toMatchObject({
      type: "report",
      eventSeq: 1,
      report: { trigger: "bundle", resources: [{ kind: "domain", outcome: "ok" }] },
    });
    const d = validateAgentEvent(driftMsg());
    expect(d).toMatchObject({
      type: "drift",
      eventSeq: 2,
      drift: { resolvedAt: null, fields: [{ field: "state", desired: "running", actual: "shutoff" }] },
    });
  });

  it("treats empty JSON fields as null / no changes", () => {
    const d = validateAgentEvent(driftMsg({ fields: [{ field: "autostart", desiredJson: "", actualJson: "false" }] }));
    expect(d.type === "drift" && d.drift.fields[0]).toEqual({ field: "autostart", desired: null, actual: false });
    const r = validateAgentEvent(
      reportMsg({
        resources: [
          {
            kind: "pool",
            name: "p",
            policy: "x",
            outcome: "changed",
            changesJson: "",
            error: "",
            pendingRestart: false,
          },
        ],
      }),
    );
    expect(r.type === "report" && r.report.resources[0]?.changesJson).toBe("[]");
  });

  it("rejects non-positive or unsafe event sequence numbers", () => {
    rejects(reportMsg({ eventSeq: 0 }), /report.eventSeq must be a positive integer/);
    rejects(driftMsg({ eventSeq: Number.MAX_SAFE_INTEGER + 2 }), /drift.eventSeq/);
  });

  it("rejects values outside the enums, naming the field", () => {
    rejects(reportMsg({ trigger: "cron" }), /report.trigger must be one of bundle\|event\|resync\|startup/);
    rejects(
      reportMsg({
        resources: [
          { kind: "vm", name: "a", policy: "p", outcome: "ok", changesJson: "[]", error: "", pendingRestart: false },
        ],
      }),
      /resources\[0\].kind/,
    );
    rejects(
      reportMsg({
        resources: [
          {
            kind: "domain",
            name: "a",
            policy: "p",
            outcome: "great",
            changesJson: "[]",
            error: "",
            pendingRestart: false,
          },
        ],
      }),
      /resources\[0\].outcome/,
    );
    rejects(driftMsg({ source: "magic" }), /drift.source/);
    rejects(driftMsg({ remediation: "ignored" }), /drift.remediation/);
    rejects(driftMsg({ classification: "" }), /drift.classification/);
  });

  it("rejects values that would only fail later, inside a shared write (review findings)", () => {
    // Deep nesting parses but cannot be re-serialised (stack overflow in JSON.stringify).
    const deep = "[".repeat(120_000) + "]".repeat(120_000);
    rejects(driftMsg({ fields: [{ field: "x", desiredJson: deep, actualJson: "1" }] }), /nests deeper than 32 levels/);
    // Timestamps Date cannot represent would throw in toISOString later.
    rejects(driftMsg({ detectedAtMs: 9e15 }), /drift.detectedAtMs 9000000000000000 is not a representable time/);
    rejects(driftMsg({ resolvedAtMs: 9e15 }), /drift.resolvedAtMs/);
    rejects(reportMsg({ startedAtMs: 9e15 }), /report.startedAtMs/);
    rejects(reportMsg({ durationMs: 8 * 24 * 3_600_000 }), /report.durationMs/);
  });

  it("rejects JSON fields that do not parse or have the wrong shape", () => {
    rejects(
      driftMsg({ fields: [{ field: "x", desiredJson: "{oops", actualJson: "1" }] }),
      /drift.fields\[0\].desiredJson is not valid JSON/,
    );
    rejects(
      reportMsg({
        resources: [
          {
            kind: "domain",
            name: "a",
            policy: "p",
            outcome: "ok",
            changesJson: "{}",
            error: "",
            pendingRestart: false,
          },
        ],
      }),
      /changesJson must be a JSON array/,
    );
  });

  it("rejects oversized content and bad identifiers", () => {
    rejects(driftMsg({ detail: "x".repeat(EVENT_LIMITS.textBytes + 1) }), /drift.detail is larger/);
    rejects(
      driftMsg({
        fields: Array.from({ length: EVENT_LIMITS.fieldsPerDrift + 1 }, () => ({
          field: "f",
          desiredJson: "1",
          actualJson: "2",
        })),
      }),
      /at most 1000/,
    );
    rejects(driftMsg({ id: "../../etc" }), /drift.id/);
    rejects(driftMsg({ name: "" }), /drift.name must not be empty/);
    rejects(driftMsg({ name: "a\nb" }), /control characters/);
    rejects(reportMsg({ bundleRevision: "x y" }), /report.bundleRevision/);
  });

  it("rejects a message without a report or drift body", () => {
    expect(() =>
      validateAgentEvent({ seq: 1, ack: 0, body: "heartbeat", heartbeat: { sentAtMs: 1 } } as never),
    ).toThrow(/expected a report or drift event/);
  });
});
