import { describe, expect, it } from "vitest";
import {
  andSelectors,
  checkSelectorGroups,
  describeHost,
  groupSelector,
  matchSelector,
  parseSelector,
  SelectorSyntaxError,
  UnknownGroupError,
  ValidationError,
  type SelectableHost,
} from "../../../common/index.js";
import { load } from "../policy/helpers.js";

const INVENTORY = `groups:
  web:
    hosts: ["kvm[01:02].lab"]
    labels: {tier: web}
  db:
    hosts: [kvm03.lab]
    labels: {tier: db}
  prod:
    children: [web, db]
    labels: {env: prod}
hosts:
  kvm01.lab: {labels: {rack: r1}}
  kvm03.lab: {labels: {rack: r1, weight: "2"}}
`;

const inv = load({}, INVENTORY).inventory;
const FACTS = {
  kvm01: { cpu: { threads: 8, virtualization: true, kvmModules: ["kvm", "kvm_intel"] }, numa: { nodes: 2 } },
  kvm02: { cpu: { threads: 4, virtualization: false, kvmModules: [] }, numa: { nodes: 1 } },
};

function host(name: string, facts: unknown): SelectableHost {
  const info = describeHost(inv, name);
  return { name, groups: info.groups, labels: info.labels, facts };
}

const hosts: SelectableHost[] = [
  host("kvm01.lab", FACTS.kvm01),
  host("kvm02.lab", FACTS.kvm02),
  host("kvm03.lab", undefined),
  host("new.lab", {}),
];

function select(selector: string): string[] {
  const s = parseSelector(selector);
  return hosts.filter((h) => matchSelector(s, h)).map((h) => h.name);
}

describe("selector parsing", () => {
  it("parses every term kind, trimming whitespace; values as JSON scalars else text", () => {
    const s = parseSelector(
      " rack = r1 , facts.numa.nodes=2, facts.cpu.virtualization!=true, group=web, name~=kvm[01:04].lab, name=x, labels.group=g",
    );
    expect(s.terms.map((t) => t.kind)).toEqual(["label", "fact", "fact", "group", "pattern", "name", "label"]);
    expect(s.terms[0]).toMatchObject({ key: "rack", value: "r1", negate: false });
    expect(s.terms[1]).toMatchObject({ path: "numa.nodes", value: 2 });
    expect(s.terms[2]).toMatchObject({ path: "cpu.virtualization", value: true, negate: true });
    expect(s.terms[6]).toMatchObject({ kind: "label", key: "group", value: "g" });
  });

  it("the empty selector has no terms and matches everything", () => {
    expect(parseSelector("").terms).toEqual([]);
    expect(parseSelector("  ").terms).toEqual([]);
    expect(select("")).toHaveLength(4);
  });

  it("a quoted value may hold commas", () => {
    expect(parseSelector('note="a,b",x=1').terms[0]).toMatchObject({ key: "note", value: "a,b" });
  });

  it.each([
    ["rack", "rack"],
    ["rack=r1,", ""],
    ["rack=r1,,x=1", ""],
    ["=r1", "=r1"],
    ["rack=", "rack="],
    ["facts.=1", "facts.=1"],
    ["facts.a..b=1", "facts.a..b=1"],
    ["facts=1", "facts=1"],
    ["rack~=r1", "rack~=r1"],
    ["name~=kvm[1:", "name~=kvm[1:"],
    ["rack=[1]", "rack=[1]"],
    ['rack={"a":1}', 'rack={"a":1}'],
    ['rack="open', 'rack="open'],
    ["ra ck=1", "ra ck=1"],
    ["labels.=x", "labels.=x"],
  ])("rejects %j naming the bad term", (text, term) => {
    let err: unknown;
    try {
      parseSelector(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectorSyntaxError);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as SelectorSyntaxError).term).toBe(term);
    expect((err as Error).message).toContain(`"${term}"`);
  });
});

describe("selector matching", () => {
  it("labels resolve through the inventory (group labels, parents, host entries)", () => {
    expect(select("rack=r1")).toEqual(["kvm01.lab", "kvm03.lab"]);
    expect(select("tier=web")).toEqual(["kvm01.lab", "kvm02.lab"]);
    expect(select("env=prod")).toEqual(["kvm01.lab", "kvm02.lab", "kvm03.lab"]);
    expect(select("rack=r1,tier=db")).toEqual(["kvm03.lab"]);
    expect(select("weight=2")).toEqual(["kvm03.lab"]);
  });

  it("!= also matches hosts without the label or fact", () => {
    expect(select("rack!=r1")).toEqual(["kvm02.lab", "new.lab"]);
    expect(select("facts.numa.nodes!=2")).toEqual(["kvm02.lab", "kvm03.lab", "new.lab"]);
  });

  it("groups include nested parents, all and ungrouped", () => {
    expect(select("group=prod")).toEqual(["kvm01.lab", "kvm02.lab", "kvm03.lab"]);
    expect(select("group=db")).toEqual(["kvm03.lab"]);
    expect(select("group=ungrouped")).toEqual(["new.lab"]);
    expect(select("group=all")).toHaveLength(4);
    expect(select("group!=web")).toEqual(["kvm03.lab", "new.lab"]);
  });

  it("facts: dotted paths, JSON scalars, text comparison across types, lists contain; unknown facts never equal", () => {
    expect(select("facts.cpu.virtualization=true")).toEqual(["kvm01.lab"]);
    expect(select("facts.cpu.threads=4")).toEqual(["kvm02.lab"]);
    expect(select('facts.cpu.threads="8"')).toEqual(["kvm01.lab"]);
    expect(select("facts.numa.nodes=2")).toEqual(["kvm01.lab"]);
    expect(select("facts.cpu.kvmModules=kvm_intel")).toEqual(["kvm01.lab"]);
    expect(select("facts.cpu=8")).toEqual([]);
    expect(select("facts.missing.path=1")).toEqual([]);
  });

  it("names: exact, negated, host patterns", () => {
    expect(select("name=kvm02.lab")).toEqual(["kvm02.lab"]);
    expect(select("name!=kvm02.lab")).toEqual(["kvm01.lab", "kvm03.lab", "new.lab"]);
    expect(select("name~=kvm[02:03].lab")).toEqual(["kvm02.lab", "kvm03.lab"]);
  });

  it("terms are AND-ed, and --group combines with --selector", () => {
    expect(select("group=prod,facts.cpu.threads=8")).toEqual(["kvm01.lab"]);
    const s = andSelectors(groupSelector("web"), parseSelector("rack=r1"));
    expect(hosts.filter((h) => matchSelector(s, h)).map((h) => h.name)).toEqual(["kvm01.lab"]);
  });
});

describe("selector groups", () => {
  it("unknown groups are rejected listing the known ones; implicit groups are known", () => {
    expect(() => checkSelectorGroups(parseSelector("group=all,group=ungrouped,group=prod"), inv)).not.toThrow();
    expect(() => checkSelectorGroups(parseSelector("rack=r1,group=nope"), inv)).toThrow(UnknownGroupError);
    expect(() => checkSelectorGroups(groupSelector("nope"), inv)).toThrow(
      "unknown group nope (known: all, ungrouped, db, prod, web)",
    );
  });

  it("groupSelector rejects an empty or malformed name", () => {
    expect(() => groupSelector("")).toThrow(SelectorSyntaxError);
    expect(() => groupSelector("a b")).toThrow(SelectorSyntaxError);
  });
});
