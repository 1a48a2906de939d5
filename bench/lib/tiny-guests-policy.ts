import { stringify } from "yaml";

/**
 * The YAML of policy "bench" holding `names` as tiny running guests: the policy form of
 * test/harness/specs.ts tinyDomainSpec (1 vCPU, 64 MiB, no disks or NICs).
 */
export function tinyGuestsPolicyYaml(names: readonly string[]): string {
  return stringify({
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "bench" },
    spec: { resources: { domains: names.map((name) => ({ name, vcpus: 1, memory: "64MiB", state: "running" })) } },
  });
}
