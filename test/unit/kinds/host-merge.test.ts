import { describe, expect, it } from "vitest";
import { resolveHostPolicies, formatConflict } from "../../../common/index.js";
import { declaredResources, type HostResource, mergeHostPrereqs, resourcesFromPolicies } from "../../../kinds/index.js";
import { CheckOnly } from "../../../engine/index.js";
import { load, lines, policy } from "../policy/helpers.js";

/**
 * Issue 21 item 8: host prerequisites of several policies are merged; before, only the
 * first policy (file-name order) with a `host:` block was enforced and the others'
 * sysctl, modules and preconditions were silently ignored.
 */
const options = () => ({ ctx: {} as never, domainEnv: {} as never });

function hostSpecs(files: Record<string, string>) {
  const r = load(files);
  expect(lines(r)).toEqual([]);
  const out = resolveHostPolicies(r.policies, r.inventory, { name: "kvm01" });
  const hosts = declaredResources(out.policies, options()).filter((x) => x.kind === "host") as HostResource[];
  return { hosts, conflicts: out.conflicts, load: r };
}

describe("host prerequisites from several policies", () => {
  it("merges sysctl, kernel modules and preconditions (strictest) of every policy, not only the first file's", () => {
    const { hosts } = hostSpecs({
      "a.yaml": policy(
        "a",
        "    host: {sysctl: {net.ipv4.ip_forward: 1}, kernelModules: [kvm], minFreeMemory: 1GiB}\n",
      ),
      "b.yaml": policy(
        "b",
        "    host: {sysctl: {vm.swappiness: 10}, kernelModules: [vhost_net, kvm], requireVirtualization: true, minFreeMemory: 2GiB}\n",
        "  priority: 5\n",
      ),
    });
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.name).toBe("host");
    expect(hosts[0]!.policy).toBe("b"); // the highest priority reports it
    expect(hosts[0]!.spec).toEqual({
      requireVirtualization: true,
      kernelModules: ["kvm", "vhost_net"],
      sysctl: { "net.ipv4.ip_forward": "1", "vm.swappiness": "10" },
      minFreeMemoryBytes: 2 * 1024 ** 3,
    });
  });

  it("a key set differently by two policies: the higher priority wins, reported as a conflict; equal values merge", () => {
    const {
      hosts,
      conflicts,
      load: r,
    } = hostSpecs({
      "a.yaml": policy("a", "    host: {sysctl: {vm.swappiness: 60, net.ipv4.ip_forward: 1}}\n"),
      "b.yaml": policy("b", "    host: {sysctl: {vm.swappiness: 10, net.ipv4.ip_forward: 1}}\n", "  priority: 10\n"),
    });
    expect(hosts[0]!.spec.sysctl).toEqual({ "net.ipv4.ip_forward": "1", "vm.swappiness": "10" });
    expect(conflicts.map((c) => [c.identity, c.winner])).toEqual([["sysctl/vm.swappiness", "b"]]);
    expect(formatConflict(conflicts[0]!)).toContain('"b" wins (higher priority)');
    // Reported at load time too (policies --json, the controller's log), not an error.
    expect(r.conflicts.map((c) => [c.identity, c.winner])).toEqual([["sysctl/vm.swappiness", "b"]]);
  });

  it("equal priorities and different values: neither applies the key (a load error), the other keys still merge", () => {
    const r = load({
      "a.yaml": policy("a", "    host: {sysctl: {vm.swappiness: 60, net.ipv4.ip_forward: 1}}\n"),
      "b.yaml": policy("b", "    host: {sysctl: {vm.swappiness: 10, kernel.pid_max: 65536}}\n"),
    });
    expect(lines(r)).toHaveLength(1);
    expect(lines(r)[0]).toContain("conflict");
    const out = resolveHostPolicies(r.policies, r.inventory, { name: "kvm01" });
    const host = declaredResources(out.policies, options()).find((x) => x.kind === "host") as HostResource;
    expect(host.spec.sysctl).toEqual({ "kernel.pid_max": "65536", "net.ipv4.ip_forward": "1" });
  });

  it("audit-mode prerequisites are only checked, also next to enforced ones (host/audit)", () => {
    const r = load({
      "a.yaml": policy("a", "    host: {sysctl: {net.ipv4.ip_forward: 1}}\n"),
      "b.yaml": policy("b", "    host: {sysctl: {vm.swappiness: 10}}\n", "  mode: audit\n"),
    });
    const out = resolveHostPolicies(r.policies, r.inventory, { name: "kvm01" });
    const built = resourcesFromPolicies(out.policies, options()).filter((x) => x.kind === "host");
    expect(built.map((x) => [x.name, x.policy, x instanceof CheckOnly])).toEqual([
      ["host", "a", false],
      ["audit", "b", true],
    ]);
    const onlyAudit = resolveHostPolicies(
      load({ "b.yaml": policy("b", "    host: {sysctl: {vm.swappiness: 10}}\n", "  mode: audit\n") }).policies,
      r.inventory,
      { name: "kvm01" },
    );
    const alone = resourcesFromPolicies(onlyAudit.policies, options()).filter((x) => x.kind === "host");
    expect(alone.map((x) => [x.name, x instanceof CheckOnly])).toEqual([["host", true]]);
  });

  it("mergeHostPrereqs: nothing to merge is null", () => {
    expect(mergeHostPrereqs([])).toBeNull();
  });
});
