import { describe, expect, it } from "vitest";
import {
  loadPolicySources,
  resolvePolicy,
  ResolutionCache,
  type Inventory,
  type LoadedPolicy,
  type TargetHost,
} from "../../../common/index.js";
import { BundleComputer, computeBundle } from "../../../controller/bundles/index.js";
import { lazyTargetHost, targetHostOf } from "../../../controller/policies/index.js";
import { policyYaml } from "./fixtures.js";

const INVENTORY_YAML = [
  "groups:",
  "  rack-a:",
  "    hosts: [h1, h2]",
  "    labels: {rack: a}",
  "    vars: {mtu: 9000}",
  "  rack-b:",
  "    hosts: [h3]",
  "    labels: {rack: b}",
  "    vars: {mtu: 1500}",
  "",
].join("\n");

function load(...texts: [string, string][]): { policies: LoadedPolicy[]; inventory: Inventory } {
  const r = loadPolicySources(texts.map(([file, text]) => ({ file, text })));
  expect(r.errors).toEqual([]);
  return r;
}

const byName = (policies: LoadedPolicy[], name: string) => policies.find((p) => p.name === name)!;

describe("ResolutionCache", () => {
  const { policies } = load(
    ["plain.yaml", policyYaml("plain")],
    ["named.yaml", policyYaml("named", { bridge: "br-${host.shortname}" })],
    ["racked.yaml", policyYaml("racked", { bridge: "br-${host.labels.rack}" })],
  );

  it("resolves a policy without templates once for every host", () => {
    const cache = new ResolutionCache();
    const a = cache.resolve(byName(policies, "plain"), { name: "h1" });
    const b = cache.resolve(byName(policies, "plain"), { name: "h2", labels: { rack: "x" }, vars: { y: 1 } });
    expect(b).toBe(a);
    expect(a).toEqual(resolvePolicy(byName(policies, "plain"), { name: "h1" }));
  });

  it("shares a templated policy's resolution only between hosts that give its references equal values", () => {
    const cache = new ResolutionCache();
    const named = byName(policies, "named");
    // host.shortname: the same for two hosts in different domains, different otherwise.
    const a = cache.resolve(named, { name: "web1.dc1" });
    expect(cache.resolve(named, { name: "web1.dc2" })).toBe(a);
    const c = cache.resolve(named, { name: "web2.dc1" });
    expect(c).not.toBe(a);
    expect(c).toEqual(resolvePolicy(named, { name: "web2.dc1" }));
    expect(c.resources.networks[0].bridge).toBe("br-web2");

    const racked = byName(policies, "racked");
    const ra = cache.resolve(racked, { name: "h1", labels: { rack: "a" } });
    expect(cache.resolve(racked, { name: "h2", labels: { rack: "a", other: "z" } })).toBe(ra);
    expect(cache.resolve(racked, { name: "h3", labels: { rack: "b" } }).resources.networks[0].bridge).toBe("br-b");
  });

  it("does not keep a failure: each host's error names that host", () => {
    const cache = new ResolutionCache();
    const racked = byName(policies, "racked");
    expect(() => cache.resolve(racked, { name: "h1" })).toThrow(/for host h1/);
    expect(() => cache.resolve(racked, { name: "h2" })).toThrow(/for host h2/);
  });
});

describe("BundleComputer", () => {
  const { policies, inventory } = load(
    ["inventory.yaml", INVENTORY_YAML],
    ["plain.yaml", policyYaml("plain")],
    ["racked.yaml", policyYaml("racked", { bridge: "br-${host.labels.rack}", targets: "{groups: [rack-a, rack-b]}" })],
    ["fact.yaml", policyYaml("fact", { targets: "{facts: {cpu.virtualization: true}}", bridge: "vfbr9" })],
  );
  const hosts: TargetHost[] = [
    { name: "h1", facts: { cpu: { virtualization: true } } },
    { name: "h2", facts: { cpu: { virtualization: true } } },
    { name: "h3", facts: { cpu: { virtualization: false } } },
    { name: "h4" },
    { name: "h5", facts: { cpu: { virtualization: true } } },
  ];

  it("gives every host what computeBundle gives it", () => {
    const computer = new BundleComputer();
    for (let round = 0; round < 2; round++) {
      for (const h of hosts)
        expect(computer.compute(policies, inventory, h)).toEqual(computeBundle(policies, inventory, h));
    }
  });

  it("shares one bundle between hosts with equal inputs, not between others", () => {
    const computer = new BundleComputer();
    const [h1, h2, h3, , h5] = hosts.map((h) => computer.compute(policies, inventory, h));
    expect(h2).toBe(h1); // same rack label, same facts
    expect(h3).not.toBe(h1);
    expect(h5).not.toBe(h1); // not in a rack: no "racked" policy
    expect(h5.policies.map((p) => p.name)).toEqual(["fact", "plain"]);
  });

  it("computes a new bundle for a new revision of a policy", () => {
    const computer = new BundleComputer();
    const before = computer.compute(policies, inventory, hosts[0]);
    const edited = load(["inventory.yaml", INVENTORY_YAML], ["plain.yaml", policyYaml("plain", { mode: "audit" })]);
    const after = computer.compute(edited.policies, edited.inventory, hosts[0]);
    expect(after.revision).not.toBe(before.revision);
    expect(after).toEqual(computeBundle(edited.policies, edited.inventory, hosts[0]));
  });
});

describe("targetHostOf", () => {
  it("parses the stored facts when targeting first reads them; unparseable facts are unknown", () => {
    expect(targetHostOf({ name: "h", factsJson: '{"cpu":{"virtualization":true}}' }).facts).toEqual({
      cpu: { virtualization: true },
    });
    expect(targetHostOf({ name: "h", factsJson: "{not json" }).facts).toBeUndefined();
  });
});

describe("lazyTargetHost", () => {
  it("reads a host's facts only when a policy targets by them, and then once", () => {
    const { policies, inventory } = load(
      ["inventory.yaml", INVENTORY_YAML],
      [
        "racked.yaml",
        policyYaml("racked", { bridge: "br-${host.labels.rack}", targets: "{groups: [rack-a, rack-b]}" }),
      ],
    );
    let reads = 0;
    const host = lazyTargetHost("h1", () => (reads++, '{"cpu":{"virtualization":true}}'));
    expect(computeBundle(policies, inventory, host).policies.map((p) => p.name)).toEqual(["racked"]);
    expect(reads).toBe(0);

    const withFacts = load(
      ["inventory.yaml", INVENTORY_YAML],
      ["fact.yaml", policyYaml("fact", { targets: "{facts: {cpu.virtualization: true}}", bridge: "vfbr9" })],
    );
    expect(computeBundle(withFacts.policies, withFacts.inventory, host).policies.map((p) => p.name)).toEqual(["fact"]);
    expect(host.facts).toEqual({ cpu: { virtualization: true } });
    expect(reads).toBe(1);
    expect(lazyTargetHost("gone", () => undefined).facts).toBeUndefined();
  });
});
