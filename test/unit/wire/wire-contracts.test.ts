import { describe, expect, it } from "vitest";
import { fleetProto, ProtocolError, type FieldChange } from "../../../common/index.js";
import {
  decodeFieldChange,
  driftFieldsOfChanges,
  driftForProtocol,
  driftRecordToJson,
  driftStateToJson,
  driftStateToRecord,
  encodeFieldChange,
  fromJsonValue,
  negotiateProtocol,
  outcomeForProtocol,
  PROTOCOL_VERSION,
  RESOURCE_OUTCOMES,
  receivedOutcome,
  reportForProtocol,
  storedChangesToWire,
  toJsonValue,
  wireChangesToJson,
  type DriftState,
} from "../../../common/wire/index.js";
import { EVENT_LIMITS, validateAgentEvent, validatePlanResult } from "../../../controller/agent-messages/index.js";
import type { AgentMessage, AgentMessage__Output } from "../../../generated/proto/fleet/v1/AgentMessage.js";
import type { DriftRecord, DriftRecord__Output } from "../../../generated/proto/fleet/v1/DriftRecord.js";

/** An AgentMessage as it crosses the wire: serialised and parsed by the gRPC method's own codec. */
function overTheWire(msg: AgentMessage): AgentMessage__Output {
  const m = fleetProto().AgentService.service.Connect;
  return m.requestDeserialize(m.requestSerialize(msg)) as AgentMessage__Output;
}

function adminRecordOverTheWire(r: DriftRecord): DriftRecord__Output {
  const m = fleetProto().AdminService.service.WatchDrift;
  return m.responseDeserialize(m.responseSerialize(r)) as DriftRecord__Output;
}

const VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1.5,
  2 ** 40,
  "",
  "running",
  [],
  [1, "a", null, [true]],
  {},
  { b: 1, a: { z: [1, 2], y: null }, __proto__x: "k" },
  JSON.parse('{"__proto__": {"polluted": true}}'),
];

const CHANGES: FieldChange[] = [
  { field: "vcpus", from: 1, to: 2, disruption: "restart" },
  { field: "state", from: "shutoff", to: "running", disruption: "live" },
  { field: "capacity", from: { bytes: 2 }, to: { bytes: 1 }, disruption: "recreate", destructive: true },
  { field: "interfaces[0]", from: null, to: { model: "virtio", mac: "52:54:00:00:00:01" }, disruption: "restart" },
];

describe("JsonValue", () => {
  it.each(VALUES.map((v) => [JSON.stringify(v), v]))("round-trips %s through the wire unchanged", (_, v) => {
    const msg = overTheWire({
      seq: 1,
      drift: { eventSeq: 1, fields: [{ field: "x", desired: toJsonValue(v), actual: toJsonValue(null) }] },
    });
    const back = fromJsonValue(msg.drift!.fields[0]!.desired, "x");
    expect(JSON.stringify(back)).toBe(JSON.stringify(v));
    expect(fromJsonValue(msg.drift!.fields[0]!.actual, "x")).toBeNull();
  });

  it("reads an absent value as null and a key named __proto__ as a plain member", () => {
    expect(fromJsonValue(null, "x")).toBeNull();
    const v = fromJsonValue(toJsonValue(JSON.parse('{"__proto__": 1}')), "x") as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
  });

  it("refuses values nested too deep, repeated keys, and nodes that end early or run on", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => fromJsonValue(toJsonValue(deep), "f")).toThrow(/f nests deeper than 32/);
    let ok: unknown = "x";
    for (let i = 0; i < 31; i++) ok = { k: [ok] }.k;
    expect(fromJsonValue(toJsonValue(ok), "f")).toEqual(ok);
    const member = (key: string) => ({ key, nullValue: true });
    expect(() => fromJsonValue({ nodes: [{ objectSize: 2 }, member("a"), member("a")] }, "f")).toThrow(
      /repeats the key "a"/,
    );
    expect(() => fromJsonValue({ nodes: [{ objectSize: 2 }, member("a")] }, "f")).toThrow(/f ends before/);
    expect(() => fromJsonValue({ nodes: [{ listLength: 4_000_000_000 }] }, "f")).toThrow(ProtocolError);
    expect(() => fromJsonValue({ nodes: [{ boolValue: true }, { boolValue: false }] }, "f")).toThrow(
      /1 nodes after its value/,
    );
  });

  it("decodes a hostile nesting of a million levels without recursion, refusing it", () => {
    const nodes = Array.from({ length: 1_000_000 }, () => ({ listLength: 1 }));
    expect(() => fromJsonValue({ nodes }, "f")).toThrow(/nests deeper/);
  });
});

describe("FieldChange", () => {
  it("round-trips every change through the wire", () => {
    const msg = overTheWire({
      seq: 1,
      report: { eventSeq: 1, resources: [{ kind: "domain", name: "a", changes: CHANGES.map(encodeFieldChange) }] },
    });
    const back = msg.report!.resources[0]!.changes.map((c, i) => decodeFieldChange(c, `c[${i}]`));
    expect(back).toEqual(CHANGES);
  });

  it("refuses an unknown disruption naming the field", () => {
    const c = { ...encodeFieldChange(CHANGES[0]!), disruption: "soon" };
    expect(() => decodeFieldChange(c as never, "planResult.resources[0].changes[0]")).toThrow(
      /planResult\.resources\[0\]\.changes\[0\]\.disruption must be one of live\|restart\|recreate/,
    );
  });
});

describe("protocol versions", () => {
  it("negotiates the lower version; absent (0) is the previous protocol", () => {
    expect(PROTOCOL_VERSION).toBe(2);
    expect(negotiateProtocol(0)).toBe(0);
    expect(negotiateProtocol(1)).toBe(1);
    expect(negotiateProtocol(2)).toBe(2);
    expect(negotiateProtocol(7)).toBe(2);
  });

  it("sends every outcome on protocol 2 and the nearest known one before; the controller reads the restart back", () => {
    const o = (outcome: string, pendingRestart = false) => ({
      kind: "domain",
      name: "a",
      policy: "p",
      outcome,
      changesJson: "",
      error: "",
      pendingRestart,
    });
    for (const name of RESOURCE_OUTCOMES) expect(outcomeForProtocol(o(name), 2).outcome).toBe(name);
    const down = (name: string, protocol: number) => outcomeForProtocol(o(name), protocol);
    for (const protocol of [0, 1]) {
      expect(down("suppressed", protocol).outcome).toBe("drift");
      expect(down("blocked", protocol).outcome).toBe("failed");
      expect(down("conflict", protocol).outcome).toBe("failed");
      expect(down("pending-restart", protocol)).toMatchObject({ outcome: "ok", pendingRestart: true });
      expect(down("changed", protocol).outcome).toBe("changed");
      // what a controller of this release stores from such a peer
      expect(receivedOutcome("ok", true, protocol)).toBe("pending-restart");
      expect(receivedOutcome("changed", true, protocol)).toBe("pending-restart");
      expect(receivedOutcome("drift", true, protocol)).toBe("drift");
      expect(receivedOutcome("ok", false, protocol)).toBe("ok");
    }
    expect(receivedOutcome("ok", true, 2)).toBe("ok");
  });

  it("sends JSON text on protocol 0 and typed fields on protocol 1, never both", () => {
    const stored = {
      kind: "domain",
      name: "a",
      policy: "p",
      outcome: "drift",
      changesJson: JSON.stringify(CHANGES),
      error: "",
      pendingRestart: false,
    };
    expect(outcomeForProtocol(stored, 0)).toBe(stored);
    const v1 = outcomeForProtocol(stored, 1);
    expect(v1.changesJson).toBeUndefined();
    expect(v1.changes?.map((c) => decodeFieldChange(c as never, "c"))).toEqual(CHANGES);
    const fields = driftFieldsOfChanges(CHANGES);
    const d0 = driftForProtocol({ id: "d", fields }, 0);
    expect(d0.fields).toEqual(fields);
    const d1 = driftForProtocol({ id: "d", fields }, 1);
    expect(d1.fields?.every((f) => f.desiredJson === undefined && f.desired !== undefined)).toBe(true);
  });
});

describe("the controller reads both protocols into the same stored form", () => {
  const report = {
    eventSeq: 5,
    generation: 2,
    bundleRevision: "b1",
    trigger: "bundle",
    startedAtMs: 1_700_000_000_000,
    durationMs: 10,
    resources: [
      {
        kind: "domain",
        name: "web-01",
        policy: "web",
        outcome: "changed",
        changesJson: JSON.stringify(CHANGES),
        error: "",
        pendingRestart: true,
      },
    ],
  };
  const drift = {
    eventSeq: 6,
    id: "d-1",
    policy: "web",
    kind: "domain",
    name: "web-01",
    fields: driftFieldsOfChanges([
      ...CHANGES,
      { field: "cloudInit.users[ops].passwordHash", from: "old", to: "new", disruption: "live" },
    ]),
    detectedAtMs: 1_700_000_000_000,
    source: "event",
    remediation: "repaired",
    resolvedAtMs: 1_700_000_000_500,
    classification: "corrective",
    detail: "",
  };

  for (const protocol of [0, 1]) {
    it(`protocol ${protocol}: report and drift`, () => {
      const r = validateAgentEvent(overTheWire({ seq: 1, report: reportForProtocol(report, protocol) }), protocol);
      const d = validateAgentEvent(overTheWire({ seq: 2, drift: driftForProtocol(drift, protocol) }), protocol);
      expect(r.type === "report" && JSON.parse(r.report.resources[0]!.changesJson)).toEqual(CHANGES);
      expect(d.type === "drift" && d.drift.fields.map((f) => [f.field, f.desired, f.actual])).toEqual([
        ["vcpus", 2, 1],
        ["state", "running", "shutoff"],
        ["capacity", { bytes: 1 }, { bytes: 2 }],
        ["interfaces[0]", { model: "virtio", mac: "52:54:00:00:00:01" }, null],
        ["cloudInit.users[ops].passwordHash", "[redacted]", "[redacted]"],
      ]);
    });

    it(`protocol ${protocol}: plan result`, () => {
      const resources = report.resources.map((o) => outcomeForProtocol(o, protocol));
      const msg = overTheWire({
        seq: 3,
        planResult: { commandId: "plan-1", bundleRevision: "b1", resources, error: "", durationMs: 3 },
      });
      expect(validatePlanResult(msg.planResult!, protocol).resources[0]!.changes).toEqual(CHANGES);
    });
  }

  it("protocol 1 keeps protocol 0's bounds: value sizes, field names, disruptions", () => {
    const big = "x".repeat(EVENT_LIMITS.jsonBytes);
    const bigDrift = driftForProtocol(
      { ...drift, fields: driftFieldsOfChanges([{ field: "f", from: 1, to: big, disruption: "live" }]) },
      1,
    );
    expect(() => validateAgentEvent(overTheWire({ seq: 1, drift: bigDrift }), 1)).toThrow(
      /drift\.fields\[0\]\.desired is larger than/,
    );
    const many = Array.from({ length: 40 }, (_, i) => ({
      field: `f${i}`,
      from: null,
      to: "y".repeat(8_000),
      disruption: "live" as const,
    }));
    const bigReport = reportForProtocol(
      { ...report, resources: [{ ...report.resources[0]!, changesJson: JSON.stringify(many) }] },
      1,
    );
    expect(() => validateAgentEvent(overTheWire({ seq: 1, report: bigReport }), 1)).toThrow(
      /report\.resources\[0\]\.changes is larger than/,
    );
    const badDisruption = {
      ...report,
      resources: [{ ...report.resources[0]!, changes: [{ ...encodeFieldChange(CHANGES[0]!), disruption: "soon" }] }],
    };
    expect(() => validateAgentEvent(overTheWire({ seq: 1, report: badDisruption }), 1)).toThrow(
      /report\.resources\[0\]\.changes\[0\]\.disruption must be one of/,
    );
    const noName = driftForProtocol({ ...drift, fields: [{ field: "", desiredJson: "1", actualJson: "2" }] }, 1);
    expect(() => validateAgentEvent(overTheWire({ seq: 1, drift: noName }), 1)).toThrow(/drift\.fields\[0\]\.field/);
  });

  it("a protocol-1 stream ignores JSON text sent beside typed fields (the typed fields rule)", () => {
    const msg = overTheWire({ seq: 1, report: { ...report, resources: [{ ...report.resources[0]!, changes: [] }] } });
    const r = validateAgentEvent(msg, 1);
    expect(r.type === "report" && r.report.resources[0]!.changesJson).toBe("[]");
  });
});

describe("the one drift mapper", () => {
  const state: DriftState = {
    id: "d-1",
    host: "kvm01",
    policy: "web",
    kind: "domain",
    name: "web-01",
    fields: [
      { field: "state", desired: "running", actual: "shutoff" },
      { field: "memory", desired: { mib: 512 }, actual: null },
    ],
    detectedAt: Date.parse("2026-01-02T03:04:05.000Z"),
    source: "event",
    remediation: "repaired",
    resolvedAt: null,
    classification: "corrective",
    detail: "",
  };

  it("gives `drift --json` the same element from the admin API (CLI) as from the store (webhooks)", () => {
    const viaAdmin = driftRecordToJson(adminRecordOverTheWire(driftStateToRecord(state)));
    expect(viaAdmin).toEqual(driftStateToJson(state));
    expect(JSON.stringify(viaAdmin)).toBe(JSON.stringify(driftStateToJson(state)));
    expect(viaAdmin).toEqual({
      id: "d-1",
      host: "kvm01",
      policy: "web",
      kind: "domain",
      name: "web-01",
      fields: state.fields,
      detectedAt: "2026-01-02T03:04:05.000Z",
      source: "event",
      remediation: "repaired",
      classification: "corrective",
    });
  });

  it("admin resource changes: stored text → typed → the CLI's objects", () => {
    expect(wireChangesToJson(storedChangesToWire(JSON.stringify(CHANGES)) as never)).toEqual(CHANGES);
    expect(storedChangesToWire("not json")).toEqual([]);
    expect(storedChangesToWire(JSON.stringify(["x", { no: "field" }]))).toEqual([]);
  });
});
