import { describe, expect, it } from "vitest";
import { describeHost, hostGroups, inventoryHostNames, loadPolicySources } from "../../../common/index.js";
import { load, lines } from "./helpers.js";

const SPEC_INVENTORY = `groups:
  web:
    hosts: ["kvm[01:04].lab", "srv[a:d].lab", "10.0.0.[1:4]"]
    labels: {tier: web}
    vars: {bridge: br0}
  db:
    hosts: [kvm05.lab]
  prod:
    children: [web, db]          # nested groups; cycles are an error
hosts:
  kvm01.lab: {labels: {rack: r1}, vars: {}}
`;

describe("inventory", () => {
  it("loads the spec's example; hosts get groups incl. implicit all, children and labels", () => {
    const r = load({}, SPEC_INVENTORY);
    expect(lines(r)).toEqual([]);
    const inv = r.inventory;
    expect(inv.file).toBe("inventory.yaml");
    expect(hostGroups(inv, "kvm02.lab")).toEqual(["all", "prod", "web"]);
    expect(hostGroups(inv, "kvm05.lab")).toEqual(["all", "prod", "db"]);
    expect(hostGroups(inv, "elsewhere.lab")).toEqual(["all", "ungrouped"]);
    expect(describeHost(inv, "kvm01.lab")).toEqual({
      name: "kvm01.lab",
      groups: ["all", "prod", "web"],
      labels: { tier: "web", rack: "r1" },
      vars: { bridge: "br0" },
    });
    expect(inventoryHostNames(inv)).toHaveLength(13);
  });

  it("a host only in `hosts:` is ungrouped", () => {
    const r = load({}, "hosts:\n  lone.lab: {labels: {a: b}}\n");
    expect(hostGroups(r.inventory, "lone.lab")).toEqual(["all", "ungrouped"]);
  });

  it("vars: inner groups override outer ones, host vars override groups; enrolment labels override inventory labels", () => {
    const r = load(
      {},
      `groups:
  outer: {children: [inner], vars: {a: outer, b: outer}, labels: {l: outer}}
  inner: {hosts: ["h[1:2]"], vars: {a: inner}, labels: {l: inner}}
hosts:
  h1: {vars: {b: host}}
`,
    );
    expect(lines(r)).toEqual([]);
    expect(describeHost(r.inventory, "h1").vars).toEqual({ a: "inner", b: "host" });
    expect(describeHost(r.inventory, "h2").vars).toEqual({ a: "inner", b: "outer" });
    expect(describeHost(r.inventory, "h2", { l: "enrolled" }).labels).toEqual({ l: "enrolled" });
  });

  it("a children cycle is an error naming the cycle at file:line:col", () => {
    const r = load({}, "groups:\n  a: {children: [b]}\n  b: {children: [c]}\n  c: {children: [a]}\n");
    expect(lines(r)).toEqual(["inventory.yaml:4:17: groups.c.children: group cycle: a → b → c → a"]);
  });

  it("unknown children, reserved group names, bad patterns and unknown fields are errors", () => {
    const r = load({}, 'groups:\n  all: {hosts: [x]}\n  web: {children: [nope], hosts: ["kvm[1:"]}\n');
    expect(lines(r)).toEqual([
      'inventory.yaml:2:3: groups.all: "all" is an implicit group and cannot be defined; put shared vars in the policy or a parent group',
      'inventory.yaml:3:20: groups.web.children[0]: unknown group "nope"',
      'inventory.yaml:3:35: groups.web.hosts[0]: host pattern "kvm[1:": "[" without "]"',
    ]);
    const schema = load({}, "groups:\n  db: {hostz: [y]}\n");
    expect(lines(schema)).toEqual([
      'inventory.yaml:2:8: groups.db.hostz: unknown field "hostz" (did you mean "hosts"?)',
    ]);
  });

  it("a policy targeting a group the inventory lacks is an error", () => {
    const r = load(
      {
        "p.yaml":
          "apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  targets: {groups: [web, wbe]}\n  resources: {}\n",
      },
      "groups:\n  web: {hosts: [a]}\n",
    );
    expect(lines(r)).toEqual([
      'p.yaml:5:27: spec.targets.groups[1]: unknown group "wbe" (inventory.yaml defines: all, ungrouped, web)',
    ]);
  });

  it("without an inventory, target groups are unchecked unless strictGroups (the controller's view: the empty inventory)", () => {
    const text =
      "apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  targets: {groups: [all, ungrouped, web]}\n  resources: {}\n";
    expect(loadPolicySources([{ file: "p.yaml", text }]).errors).toEqual([]);
    const strict = loadPolicySources([{ file: "p.yaml", text }], { strictGroups: true });
    expect(strict.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'spec.targets.groups[2]: unknown group "web" (there is no inventory.yaml, so only the implicit groups exist: all, ungrouped)',
    ]);
    expect(strict.policies).toEqual([]);
  });
});
