import { describe, expect, it } from "vitest";
import { factAt, matchTargets } from "../../../common/index.js";

const host = {
  name: "kvm03.lab",
  labels: { rack: "r1", tier: "web" },
  groups: ["all", "web"],
  facts: { cpu: { virtualization: true, cores: 8, kvmModules: ["kvm", "kvm_intel"] }, os: { id: "debian" } },
};

describe("matchTargets", () => {
  it("absent targets select every host", () => {
    expect(matchTargets(undefined, host)).toBe(true);
    expect(matchTargets(null, { name: "x" })).toBe(true);
  });

  it("groups: any listed group; `all` is every host", () => {
    expect(matchTargets({ groups: ["db", "web"] }, host)).toBe(true);
    expect(matchTargets({ groups: ["db"] }, host)).toBe(false);
    expect(matchTargets({ groups: ["all"] }, { name: "new" })).toBe(true);
    expect(matchTargets({ groups: ["ungrouped"] }, { name: "new", groups: ["all", "ungrouped"] })).toBe(true);
  });

  it("hosts: patterns, without expanding", () => {
    expect(matchTargets({ hosts: ["kvm[01:04].lab"] }, host)).toBe(true);
    expect(matchTargets({ hosts: ["kvm[1:4].lab"] }, host)).toBe(false);
    expect(matchTargets({ hosts: ["kvm[1:"] }, host)).toBe(false);
  });

  it("labels: every label must match", () => {
    expect(matchTargets({ labels: { rack: "r1" } }, host)).toBe(true);
    expect(matchTargets({ labels: { rack: "r1", tier: "db" } }, host)).toBe(false);
    expect(matchTargets({ labels: { rack: "r1" } }, { name: "x" })).toBe(false);
  });

  it("facts: dotted paths, AND-ed; lists contain; scalars compare as text across types", () => {
    expect(matchTargets({ facts: { "cpu.virtualization": true } }, host)).toBe(true);
    expect(matchTargets({ facts: { "cpu.virtualization": true, "os.id": "rhel" } }, host)).toBe(false);
    expect(matchTargets({ facts: { "cpu.cores": "8" } }, host)).toBe(true);
    expect(matchTargets({ facts: { "cpu.kvmModules": "kvm_intel" } }, host)).toBe(true);
    expect(matchTargets({ facts: { "cpu.missing": true } }, host)).toBe(false);
    expect(matchTargets({ facts: { "cpu.virtualization": true } }, { name: "x" })).toBe(false);
    expect(matchTargets({ facts: { "cpu.virtualization": true } }, { name: "x" }, { unknownFacts: "match" })).toBe(
      true,
    );
  });

  it("entries are OR-ed", () => {
    expect(matchTargets({ groups: ["db"], labels: { rack: "r1" } }, host)).toBe(true);
    expect(
      matchTargets({ groups: ["db"], hosts: ["other"], labels: { rack: "r9" }, facts: { "os.id": "rhel" } }, host),
    ).toBe(false);
  });

  it("factAt never walks into prototypes", () => {
    expect(factAt(host.facts, "cpu.cores")).toBe(8);
    expect(factAt(host.facts, "constructor")).toBeUndefined();
    expect(factAt(host.facts, "cpu.kvmModules.length")).toBeUndefined();
  });
});
