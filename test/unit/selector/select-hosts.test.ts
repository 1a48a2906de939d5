import { describe, expect, it } from "vitest";
import { emptyInventory, SelectorSyntaxError, UnknownGroupError } from "../../../common/index.js";
import { selectHosts } from "../../../controller/inventory-view/index.js";
import type { HostRow } from "../../../controller/hosts/index.js";
import { load } from "../policy/helpers.js";

function row(name: string, facts: unknown): HostRow {
  return {
    name,
    firstSeen: 1,
    lastSeen: 1,
    connected: true,
    connectedSince: 1,
    agentVersion: "0.1.0",
    factsJson: typeof facts === "string" ? facts : JSON.stringify(facts),
    factsFingerprint: "",
    sessionId: "",
    peer: "",
    disconnectReason: "",
    lastAgentSeq: 0,
    lastControllerSeq: 0,
    lastEventSeq: 0,
    observedGeneration: 0,
    observedRevision: "",
    lastReportAt: null,
    replica: "",
  };
}

const inv = load(
  {},
  "groups:\n  web: {hosts: ['a[1:2]'], labels: {tier: web}}\n  prod: {children: [web]}\nhosts:\n  a1: {labels: {rack: r1}}\n",
).inventory;
const rows = [row("a1", { cpu: { threads: 8 } }), row("a2", { cpu: { threads: 4 } }), row("b1", "not json")];
const names = (q: { group?: string; selector?: string }) => selectHosts(rows, inv, q).map((h) => h.row.name);

describe("selectHosts (controller inventory view)", () => {
  it("resolves groups and labels from the inventory and keeps store order", () => {
    const all = selectHosts(rows, inv);
    expect(all.map((h) => [h.row.name, h.groups, h.labels])).toEqual([
      ["a1", ["all", "prod", "web"], { tier: "web", rack: "r1" }],
      ["a2", ["all", "prod", "web"], { tier: "web" }],
      ["b1", ["all", "ungrouped"], {}],
    ]);
  });

  it("filters by group and selector together; unparseable facts are unknown", () => {
    expect(names({ group: "prod" })).toEqual(["a1", "a2"]);
    expect(names({ group: "ungrouped" })).toEqual(["b1"]);
    expect(names({ group: "web", selector: "facts.cpu.threads=4" })).toEqual(["a2"]);
    expect(names({ selector: "rack=r1" })).toEqual(["a1"]);
    expect(names({ selector: "facts.cpu.threads!=8" })).toEqual(["a2", "b1"]);
  });

  it("bad selectors and unknown groups throw before any host is looked at", () => {
    expect(() => names({ selector: "rack" })).toThrow(SelectorSyntaxError);
    expect(() => names({ group: "db" })).toThrow("unknown group db (known: all, ungrouped, prod, web)");
    expect(() => names({ selector: "group=db" })).toThrow(UnknownGroupError);
  });

  it("with the empty inventory only the implicit groups exist", () => {
    expect(selectHosts(rows, emptyInventory(), { group: "ungrouped" })).toHaveLength(3);
    expect(() => selectHosts(rows, emptyInventory(), { group: "web" })).toThrow(
      "unknown group web (known: all, ungrouped)",
    );
  });
});
