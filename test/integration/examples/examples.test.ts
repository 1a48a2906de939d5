/**
 * The examples in policies/examples (issue 22 item 7) are real policies: the folder loads
 * without an issue (as `virtfleet policy validate policies/examples`), every example resolves
 * for a host of its group, and the pools and networks it declares are defined in the real
 * libvirtd (renamed with this test's prefix, never started: their devices, exports and NICs
 * are the example's, not this machine's), read back, and diff as in sync.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot, resolveHostPolicies } from "../../../common/index.js";
import {
  buildNetworkXml,
  buildPoolXml,
  diffNetwork,
  diffPool,
  type NetworkSpec,
  parseNetworkXml,
  parsePoolXml,
} from "../../../kinds/index.js";
import { planHostNetwork } from "../../../kinds/host/network/index.js";
import type { Link } from "../../../kinds/host/network/links.js";
import type { PoolSpec } from "../../../kinds/pool/spec.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { loadPolicies } from "../../../policy-language/load.js";
import { virsh, virshResult } from "../../harness/virsh.js";

const prefix = `vft-ex-${randomBytes(3).toString("hex")}-`;
const folder = join(projectRoot(), "policies", "examples");
/** One host of each example's group (policies/examples/inventory.yaml). */
const EXAMPLES: Record<string, string> = {
  "example-lvm-host": "kvm01.lab",
  "example-nfs-shared-pool": "kvm03.lab",
  "example-bonded-bridge": "kvm07.lab",
  "example-ipv6-network": "kvm09.lab",
};

let hv: Hypervisor;
const pools: string[] = [];
const networks: string[] = [];

beforeAll(async () => {
  hv = await Hypervisor.open();
});
afterAll(async () => {
  for (const p of pools) await virshResult("pool-undefine", p);
  for (const n of networks) await virshResult("net-undefine", n);
  await hv?.close();
});

async function resolvedExample(policy: string) {
  const loaded = await loadPolicies([folder]);
  expect(loaded.errors).toEqual([]);
  expect(loaded.conflicts).toEqual([]);
  const host = EXAMPLES[policy]!;
  const out = resolveHostPolicies(loaded.policies, loaded.inventory, { name: host });
  expect(out.errors).toEqual([]);
  expect(out.conflicts).toEqual([]);
  const mine = out.policies.find((p) => p.name === policy);
  expect(mine, `${policy} targets ${host}`).toBeDefined();
  return mine!;
}

describe("policies/examples", () => {
  it("loads without an issue and holds exactly the documented examples", async () => {
    const loaded = await loadPolicies([folder]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.conflicts).toEqual([]);
    expect(loaded.policies.map((p) => p.name).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  for (const policy of Object.keys(EXAMPLES)) {
    it(`${policy}: its pools and networks are defined by libvirtd and read back in sync`, async () => {
      const resolved = await resolvedExample(policy);
      const res = resolved.resources;
      expect((res.pools?.length ?? 0) + (res.networks?.length ?? 0) + (res.host ? 1 : 0)).toBeGreaterThan(0);
      for (const p of res.pools ?? []) {
        const spec: PoolSpec = { ...p, name: `${prefix}${p.name}` };
        pools.push(spec.name);
        await hv.definePool(buildPoolXml(spec));
        const actual = parsePoolXml(await virsh("pool-dumpxml", "--inactive", spec.name));
        expect(diffPool(spec, actual), `pool ${p.name}`).toEqual([]);
      }
      for (const n of res.networks ?? []) {
        const spec: NetworkSpec = { ...n, name: `${prefix}${n.name}` };
        networks.push(spec.name);
        await hv.defineNetwork(buildNetworkXml(spec));
        const actual = parseNetworkXml(await virsh("net-dumpxml", "--inactive", spec.name));
        expect(diffNetwork(spec, actual, false), `network ${n.name}`).toEqual([]);
      }
    });
  }

  it("example-bonded-bridge: on a host with only its two NICs, host networking plans the bond, the VLANs and the bridges", async () => {
    const resolved = await resolvedExample("example-bonded-bridge");
    const network = resolved.resources.host?.network;
    expect(network?.allowUplinkChange).toBe(true);
    const nic = (name: string): Link => ({ name, kind: "", master: null, mtu: 1500, up: true, alias: null });
    const plan = planHostNetwork(network!, new Map([nic("eno1"), nic("eno2")].map((l) => [l.name, l])));
    expect(plan.conflicts).toEqual([]);
    expect(plan.missing).toEqual([]);
    const argv = plan.steps.map((s) => s.argv.join(" "));
    expect(argv).toContain("link add bond0 type bond mode 802.3ad miimon 100");
    expect(argv).toContain("link add link bond0 name bond0.20 type vlan id 20");
    expect(argv).toContain("link add br0 type bridge stp_state 0");
    expect(argv).toContain("link set eno1 master bond0");
    expect(argv).toContain("link set bond0 master br0");
    expect(argv).toContain("link set bond0.30 master br30");
    // jumbo frames: the bond is raised before the bridge over it (a bridge's MTU cannot exceed its members')
    expect(argv.indexOf("link set bond0 mtu 9000")).toBeGreaterThanOrEqual(0);
    expect(argv.indexOf("link set bond0 mtu 9000")).toBeLessThan(argv.indexOf("link set br0 mtu 9000"));
  });
});
