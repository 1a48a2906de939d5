import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadPolicySources, parseYamlDocuments } from "../../../common/index.js";
import { load, lines, policy } from "./helpers.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("policy schema", () => {
  it("accepts the spec's full example (placeholders made concrete) with no errors", () => {
    const r = load({ "spec.yaml": fixture("spec-example.yaml") });
    expect(lines(r)).toEqual([]);
    expect(r.policies.map((p) => p.name)).toEqual(["web-tier"]);
    const p = r.policies[0];
    expect(p.mode).toBe("enforce");
    expect(p.priority).toBe(100);
    expect(p.rollout).toEqual({
      canary: 1,
      batchSize: { percent: 25 },
      soakMs: 30_000,
      maxFailures: 0,
      onFailure: "rollback",
    });
    expect(p.targets).toEqual({
      groups: ["web"],
      hosts: ["kvm[01:04].lab"],
      labels: { rack: "r1" },
      facts: { "cpu.virtualization": true },
    });
  });

  it("the spec example verbatim (source and backingVolume on one volume) passes the schema; the loader names that one contradiction", () => {
    const r = load({ "spec.yaml": fixture("spec-example-verbatim.yaml") });
    expect(lines(r)).toEqual([
      expect.stringMatching(
        /^spec\.yaml:\d+:\d+: spec\.resources\.volumes\[0\]\.backingVolume: a volume is either an overlay \(backingVolume\) or imported \(source\), not both$/,
      ),
    ]);
  });

  it("rejects an unknown field with the line:col of its key and a suggestion", () => {
    const r = load({
      "p.yaml": policy(
        "p",
        "    domains:\n      - name: a\n        vcpus: 1\n        memory: 1GiB\n        autostrat: true\n",
      ),
    });
    expect(lines(r)).toEqual([
      'p.yaml:11:9: spec.resources.domains[0].autostrat: unknown field "autostrat" (did you mean "autostart"?)',
    ]);
    expect(r.policies).toEqual([]);
  });

  it("rejects unknown top-level and nested fields in flow mappings, one error each", () => {
    const r = load({
      "p.yaml": `apiVersion: virtfleet/v1\nkind: Policy\nextra: 1\nmetadata: {name: p}\nspec:\n  resources:\n    networks:\n      - {name: n, mode: nat, ipv4: {address: 10.0.0.1, prefix: 24, gateway: 10.0.0.254}}\n`,
    });
    expect(lines(r)).toEqual([
      expect.stringMatching(/^p\.yaml:3:1: extra: unknown field "extra"/),
      'p.yaml:8:68: spec.resources.networks[0].ipv4.gateway: unknown field "gateway" (allowed: address, prefix, dhcp)',
    ]);
  });

  it("a plaintext password is rejected with a message saying only hashes are accepted", () => {
    const r = load({
      "p.yaml": policy(
        "p",
        "    domains:\n      - name: a\n        vcpus: 1\n        memory: 1GiB\n        cloudInit:\n          users:\n            - name: bob\n              password: hunter2\n",
      ),
    });
    expect(lines(r)).toEqual([
      expect.stringMatching(
        /^p\.yaml:14:15: spec\.resources\.domains\[0\]\.cloudInit\.users\[0\]\.password: plaintext passwords are not accepted; only hashes/,
      ),
    ]);
  });

  it("a passwordHash that is not a crypt hash is rejected", () => {
    const r = load({
      "p.yaml": policy(
        "p",
        "    domains:\n      - name: a\n        vcpus: 1\n        memory: 1GiB\n        cloudInit:\n          users:\n            - {name: bob, passwordHash: hunter2}\n",
      ),
    });
    // The value is never quoted back: it may be a plaintext password typed into the wrong field.
    expect(lines(r)[0]).toMatch(/users\[0\]\.passwordHash: invalid value "\[redacted\]": a crypt\(3\) hash/);
    expect(lines(r).join("\n")).not.toContain("hunter2");
  });

  it("names missing required fields, wrong types and enums at the field", () => {
    const missing = load({ "p.yaml": policy("p", "    domains:\n      - name: a\n        memory: 1GiB\n") });
    expect(lines(missing)).toEqual([
      'p.yaml:8:9: spec.resources.domains[0].vcpus: missing required field "vcpus" (only state: absent may leave it out)',
    ]);
    const r = load({
      "p.yaml": policy(
        "p",
        "    domains:\n      - name: a\n        memory: 1GiB\n        state: stopped\n        vcpus: two\n",
      ),
    });
    expect(lines(r)).toContain(
      'p.yaml:10:16: spec.resources.domains[0].state: must be one of: running, shutoff, paused, absent (got "stopped")',
    );
    expect(lines(r)).toContain("p.yaml:11:16: spec.resources.domains[0].vcpus: must be an integer");
  });

  it("requires apiVersion virtfleet/v1 and kind Policy", () => {
    const r = load({ "p.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {resources: {}}\n" });
    expect(lines(r)).toEqual([
      'p.yaml:1:13: apiVersion: must be "virtfleet/v1" (got "v1")',
      'p.yaml:2:7: kind: must be "Policy" (got "Pod")',
    ]);
  });

  it("checks policy names against [a-z0-9-]{1,63}", () => {
    for (const bad of ["Web", "web_tier", "a".repeat(64)]) {
      const r = load({ "p.yaml": policy(bad, "    {}\n") });
      expect(lines(r)[0]).toMatch(/^p\.yaml:4:9: metadata\.name: invalid value/);
    }
    expect(load({ "p.yaml": policy("a".repeat(63), "    {}\n") }).errors).toEqual([]);
  });

  it("sizes are strings with binary units or integer bytes", () => {
    const ok = load({
      "p.yaml": policy(
        "p",
        "    volumes:\n      - {name: v, pool: p, capacity: 1048576}\n      - {name: w, pool: p, capacity: 1.5GiB}\n",
      ),
    });
    expect(ok.errors).toEqual([]);
    const bad = load({ "p.yaml": policy("p", "    volumes:\n      - {name: v, pool: p, capacity: 10GB}\n") });
    expect(lines(bad)[0]).toMatch(
      /^p\.yaml:8:38: spec\.resources\.volumes\[0\]\.capacity: invalid value "10GB": a size: integer bytes/,
    );
  });

  it("YAML syntax errors carry line:col and reject the file", () => {
    const r = load({ "p.yaml": "apiVersion: virtfleet/v1\nkind: Policy\nmetadata:\n  name: [unclosed\n" });
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors[0]).toMatchObject({ file: "p.yaml", path: "" });
    expect(r.errors[0].line).toBeGreaterThanOrEqual(4);
    expect(lines(r)[0]).toMatch(/^p\.yaml:\d+:\d+: : YAML syntax/);
  });

  it("duplicate keys are syntax errors", () => {
    const r = parseYamlDocuments("a: 1\na: 2\n", "d.yaml");
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ line: 2, col: 1 });
  });

  it("alias bombs are refused", () => {
    const bomb =
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
    const r = loadPolicySources([{ file: "bomb.yaml", text: bomb }]);
    expect(r.errors[0].message).toMatch(/alias|YAML/i);
  });
});
