import { describe, expect, it } from "vitest";
import { hostToJson, renderHostsTable } from "../../../cli/output/hosts-view.js";
import { renderTable } from "../../../cli/output/table.js";

const record = {
  name: "kvm01",
  connected: true,
  firstSeen: "2026-11-22T08:00:00.000Z",
  lastSeen: "2026-11-22T08:00:05.000Z",
  agentVersion: "0.1.0",
  factsJson: JSON.stringify({
    cpu: { threads: 8, kvmUsable: true },
    memory: { totalBytes: 8 * 1024 ** 3 },
    libvirt: { reachable: true, version: "9.0.0" },
  }),
  factsFingerprint: "x",
  sessionId: "s",
  peer: "",
  disconnectReason: "",
  connectedSince: "2026-11-22T08:00:00.000Z",
  compliance: { compliant: true, policies: 0, drifted: 0, unknownReason: "" },
  state: "connected",
  stateDetail: "",
  groups: ["all", "prod", "web"],
  labels: { rack: "r1" },
};

describe("hosts output", () => {
  it("maps a record to the spec's JSON shape with empty strings as null", () => {
    const j = hostToJson(record);
    expect(j).toMatchObject({
      name: "kvm01",
      connected: true,
      lastSeen: "2026-11-22T08:00:05.000Z",
      peer: null,
      compliance: { compliant: true },
    });
    expect(j.facts.cpu?.threads).toBe(8);
    expect(hostToJson({ ...record, factsJson: "garbage" }).facts).toEqual({});
    expect(j).toMatchObject({ groups: ["all", "prod", "web"], labels: { rack: "r1" } });
  });

  it("renders an aligned table", () => {
    const out = renderHostsTable([hostToJson(record)], Date.parse("2026-11-22T08:00:07.000Z"));
    const [head, row] = out.trimEnd().split("\n");
    expect(head).toMatch(/^NAME\s+STATE\s+LAST SEEN/);
    expect(row).toMatch(
      /^kvm01\s+connected\s+2\.0s ago\s+0\.1\.0\s+8\s+yes\s+8\.0 GiB\s+9\.0\.0\s+no policies\s+prod,web$/,
    );
    expect(head.indexOf("STATE")).toBe(row.indexOf("connected"));
  });

  it("says what to do when there are no hosts, and when none match a filter", () => {
    expect(renderHostsTable([])).toMatch(/virtfleet agent --controller/);
    expect(renderHostsTable([], Date.now(), true)).toBe("No hosts match.\n");
  });

  it("GROUPS leaves out the implicit all; none known (older controller) is -", () => {
    const row = (groups: string[]) =>
      renderHostsTable([hostToJson({ ...record, groups })])
        .trimEnd()
        .split("\n")[1];
    expect(row(["all", "ungrouped"])).toMatch(/\sungrouped$/);
    expect(row([])).toMatch(/\s-$/);
  });

  it("renders missing cells as -", () => {
    expect(renderTable(["A", "B"], [["x", null]])).toBe("A  B\nx  -\n");
  });
});
