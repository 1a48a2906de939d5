import { describe, expect, it } from "vitest";
import { auditToJson, renderAuditTable, renderVerify, verifyToJson } from "../../../cli/output/audit-view.js";

const rec = (seq: number, over: Partial<Parameters<typeof auditToJson>[0]> = {}) =>
  auditToJson({
    seq,
    at: `2026-03-01T10:00:0${seq}.123Z`,
    actor: "admin:ann",
    action: "rollout.pause",
    target: "web",
    detailJson: '{"reason":"latency"}',
    hash: "h".repeat(64),
    prevHash: "0".repeat(64),
    ...over,
  });

describe("audit view", () => {
  it("JSON: the record with its detail parsed", () => {
    expect(rec(1)).toEqual({
      seq: 1,
      at: "2026-03-01T10:00:01.123Z",
      actor: "admin:ann",
      action: "rollout.pause",
      target: "web",
      detail: { reason: "latency" },
      hash: "h".repeat(64),
      prevHash: "0".repeat(64),
    });
    expect(rec(2, { detailJson: "not json" }).detail).toEqual({ raw: "not json" });
    expect(rec(3, { detailJson: "" }).detail).toEqual({});
  });

  it("table: SEQ AT ACTOR ACTION TARGET, denied and failed attempts marked", () => {
    const text = renderAuditTable([
      rec(1),
      rec(2, { actor: "admin:vic", detailJson: '{"denied":"ControlRollout needs role operator"}' }),
      rec(3, { actor: "insecure", action: "token.create", target: "*", detailJson: '{"error":"x","code":"INTERNAL"}' }),
      rec(4, { actor: "controller", action: "policy.revision", target: "" }),
    ]);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET$/);
    expect(lines[1]).toMatch(/^1\s+2026-03-01 10:00:01Z\s+admin:ann\s+rollout\.pause\s+web$/);
    expect(lines[2]).toMatch(/^2\s+.*admin:vic\s+rollout\.pause \(denied\)\s+web$/);
    expect(lines[3]).toMatch(/^3\s+.*insecure\s+token\.create \(failed\)\s+\*$/);
    expect(lines[4]).toMatch(/^4\s+.*controller\s+policy\.revision\s+-$/);
    expect(renderAuditTable([])).toBe("no audit records\n");
  });

  it("control characters from the store never reach the terminal", () => {
    const text = renderAuditTable([rec(1, { target: "web\u001b[2J", actor: "admin:a\nb" })]);
    expect(text).not.toMatch(/\u001b/);
    expect(text).toContain("web\\u001b[2J");
    expect(text).toContain("admin:a\\u000ab");
  });

  it("verify: intact, or the first bad record", () => {
    expect(renderVerify(verifyToJson({ ok: true, checked: 12, firstBadSeq: 0, problem: "" }))).toBe(
      "audit log intact: 12 records\n",
    );
    expect(renderVerify(verifyToJson({ ok: true, checked: 1, firstBadSeq: 0, problem: "" }))).toBe(
      "audit log intact: 1 record\n",
    );
    const bad = verifyToJson({
      ok: false,
      checked: 3,
      firstBadSeq: 3,
      problem: "record 3 was modified: its hash does not match its content",
    });
    expect(bad).toEqual({
      ok: false,
      checked: 3,
      firstBadSeq: 3,
      problem: "record 3 was modified: its hash does not match its content",
    });
    expect(renderVerify(bad)).toBe(
      "audit log NOT intact: record 3 does not verify: record 3 was modified: its hash does not match its content (checked 3 records)\n",
    );
    expect(verifyToJson({ ok: true, checked: 0, firstBadSeq: 0, problem: "" })).toEqual({
      ok: true,
      checked: 0,
      firstBadSeq: null,
      problem: null,
    });
  });
});
