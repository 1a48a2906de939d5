import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicySources, projectRoot, resolvePolicy } from "../../../common/index.js";
import { checkResolvedPolicy } from "../../../kinds/bundled-policy-check.js";
import { resolvedPolicy, tinyDomainSpec } from "../../harness/specs.js";

describe("checkResolvedPolicy (the generated validator of a bundle's resolved policy)", () => {
  it("accepts what the controller's loader resolves (the demo policies, for one host)", () => {
    const dir = join(projectRoot(), "policies");
    const files = ["baseline.yaml", "web-db.yaml", "inventory.yaml"];
    const r = loadPolicySources(files.map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") })));
    expect(r.errors).toEqual([]);
    expect(r.policies.length).toBeGreaterThan(0);
    for (const p of r.policies) {
      const resolved = JSON.parse(JSON.stringify(resolvePolicy(p, { name: "kvm01.lab" })));
      expect(checkResolvedPolicy(resolved)).toBeNull();
    }
  });

  it("names the first bad field: a wrong type, a missing field, a value outside its set", () => {
    const good = resolvedPolicy("p", { domains: [tinyDomainSpec("g")] });
    expect(checkResolvedPolicy(good)).toBeNull();
    const wrongType = { ...good, resources: { ...good.resources, domains: [{ ...tinyDomainSpec("g"), vcpus: "2" }] } };
    expect(checkResolvedPolicy(wrongType)).toBe("policy.resources.domains[0].vcpus must be integer");
    const { memoryBytes: _m, ...noMemory } = tinyDomainSpec("g");
    expect(checkResolvedPolicy({ ...good, resources: { ...good.resources, domains: [noMemory] } })).toBe(
      "policy.resources.domains[0].memoryBytes is missing",
    );
    const badState = { ...good, resources: { ...good.resources, domains: [{ ...tinyDomainSpec("g"), state: "on" }] } };
    expect(checkResolvedPolicy(badState)).toMatch(/^policy\.resources\.domains\[0\]\.state must be equal to one of/);
    expect(checkResolvedPolicy({ ...good, resources: { ...good.resources, pools: null } })).toBe(
      "policy.resources.pools must be array",
    );
  });

  it("never shows a key taken from the bundle unless it is a plain identifier", () => {
    const host = {
      requireVirtualization: false,
      kernelModules: [],
      sysctl: { "x\n[fake] ok": 1 },
      minFreeMemoryBytes: null,
    };
    const msg = checkResolvedPolicy(resolvedPolicy("p", { host: host as never }));
    expect(msg).toBe("policy.resources.host.sysctl[…] must be string");
  });
});
