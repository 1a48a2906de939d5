import { describe, expect, it } from "vitest";
import { formatConflict, NEW_HOST, resolveConflicts, resolvePolicy } from "../../../common/index.js";
import { lines, load, policy } from "./helpers.js";

const NET = "    networks:\n      - {name: shared, mode: isolated}\n";

describe("conflicts at load time", () => {
  it("two untargeted policies declaring one network conflict, reported at the second with both locations", () => {
    const r = load({ "a.yaml": policy("a", NET), "b.yaml": policy("b", NET) });
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]).toMatchObject({ identity: "network/shared", winner: null, hosts: [NEW_HOST] });
    expect(lines(r)).toEqual([
      'b.yaml:8:16: spec.resources.networks[0].name: conflict: network "shared" is declared by policy "a" (a.yaml:8:16) and policy "b" (b.yaml:8:16) for (any newly enrolled host): both have priority 0; give one a higher priority or target different hosts',
    ]);
    expect(r.policies.map((p) => p.name)).toEqual(["a", "b"]);
  });

  it("different priorities resolve it: no error, the higher one wins", () => {
    const r = load({ "a.yaml": policy("a", NET, "  priority: 5\n"), "b.yaml": policy("b", NET) });
    expect(r.errors).toEqual([]);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0].winner).toBe("a");
    expect(formatConflict(r.conflicts[0])).toMatch(/"a" wins \(higher priority\)/);
  });

  it("targets that cannot overlap on known hosts do not conflict; overlapping ones name the hosts", () => {
    const inv = 'groups:\n  web: {hosts: ["kvm[1:2]"]}\n  db: {hosts: [kvm3]}\n  all-kvm: {children: [web, db]}\n';
    const disjoint = load(
      {
        "a.yaml": policy("a", NET, "  targets: {groups: [web]}\n"),
        "b.yaml": policy("b", NET, "  targets: {groups: [db]}\n"),
      },
      inv,
    );
    expect(disjoint.conflicts).toEqual([]);
    expect(disjoint.errors).toEqual([]);
    const overlap = load(
      {
        "a.yaml": policy("a", NET, "  targets: {groups: [all-kvm]}\n"),
        "b.yaml": policy("b", NET, '  targets: {hosts: ["kvm[2:9]"]}\n'),
      },
      inv,
    );
    expect(overlap.conflicts.map((c) => c.hosts)).toEqual([["kvm2", "kvm3"]]);
  });

  it("facts targets may match hosts whose facts are unknown; equal sysctl values do not conflict", () => {
    const sysctl = (v: string) => `    host: {sysctl: {vm.swappiness: "${v}"}}\n`;
    const same = load({
      "a.yaml": policy("a", sysctl("10")),
      "b.yaml": policy("b", sysctl("10"), "  targets: {facts: {cpu.virtualization: true}}\n"),
    });
    expect(same.conflicts).toEqual([]);
    const diff = load({
      "a.yaml": policy("a", sysctl("10")),
      "b.yaml": policy("b", sysctl("60"), "  targets: {facts: {cpu.virtualization: true}}\n"),
    });
    expect(diff.conflicts.map((c) => c.identity)).toEqual(["sysctl/vm.swappiness"]);
  });

  it("volumes conflict by (pool, name)", () => {
    const vol = (pool: string) => `    volumes:\n      - {name: disk.qcow2, pool: ${pool}, capacity: 1GiB}\n`;
    expect(load({ "a.yaml": policy("a", vol("p1")), "b.yaml": policy("b", vol("p2")) }).conflicts).toEqual([]);
    expect(
      load({ "a.yaml": policy("a", vol("p1")), "b.yaml": policy("b", vol("p1")) }).conflicts.map((c) => c.identity),
    ).toEqual(["volume/p1/disk.qcow2"]);
  });
});

describe("per-host resolution", () => {
  it("the higher priority keeps the resource; ties drop it from both; everything else is kept", () => {
    const dom = (name: string) => `      - {name: ${name}, vcpus: 1, memory: 64MiB}\n`;
    const r = load({
      "a.yaml": policy("a", `${NET}    domains:\n${dom("web")}${dom("tie")}`, "  priority: 2\n"),
      "b.yaml": policy("b", `${NET}    domains:\n${dom("tie")}${dom("only-b")}`, "  priority: 1\n"),
      "c.yaml": policy("c", `    domains:\n${dom("tie")}`, "  priority: 2\n"),
    });
    const resolved = r.policies.map((p) => resolvePolicy(p, { name: "h1" }));
    const out = resolveConflicts(resolved, "h1");
    const names = (i: number) => [
      ...out.policies[i].resources.networks.map((n) => `network/${n.name}`),
      ...out.policies[i].resources.domains.map((d) => d.name),
    ];
    expect(names(0)).toEqual(["network/shared", "web"]);
    expect(names(1)).toEqual(["only-b"]);
    expect(names(2)).toEqual([]);
    const summary = out.conflicts.map((c) => `${c.identity}:${c.winner}:${c.sides.map((s) => s.policy).join("/")}`);
    expect(summary.sort()).toEqual(["domain/tie:null:a/c", "network/shared:a:a/b"]);
    const tie = out.conflicts.find((c) => c.identity === "domain/tie")!;
    expect(tie.sides.map((s) => `${s.location.file}:${s.location.line}`)).toEqual(["a.yaml:12", "c.yaml:9"]);
    expect(tie.hosts).toEqual(["h1"]);
  });
});

describe("resolveHostPolicies", () => {
  it("selects targeting policies, resolves them with inventory vars and labels, settles conflicts", async () => {
    const { resolveHostPolicies } = await import("../../../common/index.js");
    const r = load(
      {
        "a.yaml": policy(
          "a",
          '    pools:\n      - {name: "p-${host.labels.rack}", path: "/srv/${vars.dir}"}\n',
          "  targets: {groups: [web]}\n  priority: 1\n",
        ),
        "b.yaml": policy("b", NET, "  targets: {labels: {rack: r9}}\n"),
        "c.yaml": policy("c", NET, '  targets: {hosts: ["kvm[1:3]"]}\n'),
      },
      'groups:\n  web: {hosts: ["kvm[1:2]"], vars: {dir: web}}\nhosts:\n  kvm1: {labels: {rack: r1}}\n  kvm2: {labels: {rack: r2}}\n',
    );
    expect(lines(r)).toEqual([]);
    const h1 = resolveHostPolicies(r.policies, r.inventory, { name: "kvm1" });
    expect(h1.policies.map((p) => p.name)).toEqual(["a", "c"]);
    expect(h1.policies[0].resources.pools[0]).toMatchObject({ name: "p-r1", path: "/srv/web" });
    const h2 = resolveHostPolicies(r.policies, r.inventory, { name: "kvm2", labels: { rack: "r9" } });
    expect(h2.policies.map((p) => p.name)).toEqual(["a", "b", "c"]);
    expect(h2.policies[0].resources.pools[0].name).toBe("p-r9");
    expect(h2.conflicts.map((c) => [c.identity, c.winner])).toEqual([["network/shared", null]]);
    expect(h2.policies[1].resources.networks).toEqual([]);
    expect(h2.errors).toEqual([]);
  });
});
