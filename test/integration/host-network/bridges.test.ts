import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, DEFAULT_ENGINE_OPTIONS, type Resource } from "../../../engine/index.js";
import { HostNetworkResource, realIp } from "../../../kinds/host/network/index.js";
import type { HostNetworkRuntime } from "../../../kinds/host/network/runtime.js";
import type { BridgeSpec, HostNetworkSpec } from "../../../kinds/host/network/spec.js";
import { ip, kernelSupports, linkOf, TestNamespaces } from "./netns.js";

// Host networking converged for real inside a network namespace the test creates, on veth
// pairs: `ip -n NS` runs every command of the code under test there; the oracle reads the
// namespace with its own `ip -json`. Persistent (systemd-networkd) files go to a temp folder.

const nss = new TestNamespaces("br");
let ns = "";
let dir = "";
const BR = "vft-hn-br0";
const M1 = "vft-hn-m1";
const M2 = "vft-hn-m2";

const runtime = (): HostNetworkRuntime => ({ persist: { style: "networkd", dir } });
const bridge = (over: Partial<BridgeSpec> = {}): BridgeSpec => ({
  name: BR,
  interfaces: [M1, M2],
  stp: true,
  mtu: 9000,
  vlanFiltering: false,
  adopt: false,
  ...over,
});
const spec = (bridges: BridgeSpec[]): HostNetworkSpec => ({ bridges, bonds: [], vlans: [], allowUplinkChange: false });
const resource = (s: HostNetworkSpec) => new HostNetworkResource(s, "vft-hn-policy", [], runtime, { ip: realIp(ns) });

async function run(r: Resource, apply: boolean) {
  const report = await converge([r], { ...DEFAULT_ENGINE_OPTIONS, apply, retries: 0 });
  return report.resources[0]!;
}
const fields = (rep: { changes: { field: string }[] }) => rep.changes.map((c) => c.field);

beforeAll(async () => {
  ns = nss.create("a");
  ip(ns, "link", "add", M1, "type", "veth", "peer", "name", "vft-hn-p1");
  ip(ns, "link", "add", M2, "type", "veth", "peer", "name", "vft-hn-p2");
  dir = await mkdtemp(join(tmpdir(), "vft-hn-networkd-"));
});
afterAll(async () => {
  nss.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe("host networking: bridges on veth pairs in a network namespace", () => {
  it("creates a bridge with two members, stp and mtu; writes its networkd files; a second run changes nothing", async () => {
    const r = resource(spec([bridge()]));
    const plan = await run(r, false);
    expect(plan.outcome).toBe("drift");
    expect(linkOf(ns, BR)).toBeNull(); // a dry-run touches nothing
    const done = await run(r, true);
    expect(done.error).toBeUndefined();
    expect(done.outcome).toBe("changed");
    const br = linkOf(ns, BR)!;
    expect(br.linkinfo.info_kind).toBe("bridge");
    expect(br.linkinfo.info_data.stp_state).not.toBe(0);
    expect(br.mtu).toBe(9000);
    expect(br.ifalias).toBe("virtfleet:created");
    expect(br.flags).toContain("UP");
    expect(linkOf(ns, M1)!.master).toBe(BR);
    expect(linkOf(ns, M2)!.master).toBe(BR);
    expect((await readdir(dir)).sort()).toEqual([
      `50-virtfleet-${BR}.netdev`,
      `50-virtfleet-${BR}.network`,
      `50-virtfleet-${M1}.network`,
      `50-virtfleet-${M2}.network`,
    ]);
    expect(await readFile(join(dir, `50-virtfleet-${BR}.netdev`), "utf8")).toContain("STP=true");
    expect((await run(r, false)).outcome).toBe("ok");
  });

  it("drift: a member released, stp flipped, the mtu changed — seen, then repaired", async () => {
    ip(ns, "link", "set", M2, "nomaster");
    ip(ns, "link", "set", BR, "type", "bridge", "stp_state", "0");
    ip(ns, "link", "set", BR, "mtu", "1400");
    const r = resource(spec([bridge()]));
    const seen = await run(r, false);
    expect(seen.outcome).toBe("drift");
    expect(fields(seen)).toEqual([`bridges.${BR}.stp`, `bridges.${BR}.interfaces`, `bridges.${BR}.mtu`]);
    expect(linkOf(ns, M2)!.master).toBeUndefined(); // audit: nothing repaired
    const fixed = await run(r, true);
    expect(fixed.outcome).toBe("changed");
    expect(linkOf(ns, M2)!.master).toBe(BR);
    expect(linkOf(ns, BR)!.linkinfo.info_data.stp_state).not.toBe(0);
    expect(linkOf(ns, BR)!.mtu).toBe(9000);
  });

  it("drift: the bridge deleted — recreated with its members", async () => {
    ip(ns, "link", "del", BR);
    const r = resource(spec([bridge()]));
    expect(fields(await run(r, false))).toEqual([`bridges.${BR}`, `bridges.${BR}.interfaces`]);
    expect((await run(r, true)).outcome).toBe("changed");
    expect(linkOf(ns, M1)!.master).toBe(BR);
    expect(linkOf(ns, M2)!.master).toBe(BR);
    expect(linkOf(ns, BR)!.mtu).toBe(9000);
  });

  it("drift: a persistent file edited or removed behind virtfleet's back is rewritten", async () => {
    const netdev = join(dir, `50-virtfleet-${BR}.netdev`);
    const original = await readFile(netdev, "utf8");
    await writeFile(netdev, original.replace("STP=true", "STP=false"));
    await unlink(join(dir, `50-virtfleet-${M1}.network`));
    const r = resource(spec([bridge()]));
    const seen = await run(r, false);
    expect(seen.changes.map((c) => `${c.field}: ${c.from}`)).toEqual([
      `persistent.${netdev}: edited`,
      `persistent.${join(dir, `50-virtfleet-${M1}.network`)}: missing`,
    ]);
    expect((await run(r, true)).outcome).toBe("changed");
    expect(await readFile(netdev, "utf8")).toBe(original);
    expect(await readFile(join(dir, `50-virtfleet-${M1}.network`), "utf8")).toContain(`Bridge=${BR}`);
  });

  it("after a reboot the bridge comes back from its file without alias: still owned, marked again", async () => {
    ip(ns, "link", "set", BR, "alias", "");
    const r = resource(spec([bridge()]));
    expect((await run(r, false)).outcome).toBe("ok");
    await run(r, true);
    expect(linkOf(ns, BR)!.ifalias).toBe("virtfleet:created");
  });

  it("a bridge virtfleet did not create is a conflict (nothing touched) unless adopted; dropped, it stays", async () => {
    const other = "vft-hn-own";
    ip(ns, "link", "add", other, "type", "bridge");
    const declared = spec([bridge(), bridge({ name: other, interfaces: [], mtu: 1400 })]);
    const refused = await run(resource(declared), true);
    expect(refused.outcome).toBe("conflict");
    expect(refused.error).toMatch(/vft-hn-own exists and virtfleet did not create it \(set adopt: true/);
    expect(linkOf(ns, other)!.mtu).toBe(1500);
    const adopted = spec([bridge(), bridge({ name: other, interfaces: [], mtu: 1400, adopt: true })]);
    const a = await run(resource(adopted), true);
    expect(a.outcome).toBe("changed");
    expect(fields(a)).toContain(`bridges.${other}.ownership`);
    expect(linkOf(ns, other)!.mtu).toBe(1400);
    expect(linkOf(ns, other)!.ifalias).toBe("virtfleet:adopted");
    expect(await readdir(dir)).not.toContain(`50-virtfleet-${other}.netdev`); // the host's own config stays authoritative
    // dropped: the adopted bridge stays, unmarked
    const dropped = await run(resource(spec([bridge()])), true);
    expect(dropped.changes.map((c) => `${c.field}: ${c.from} → ${c.to}`)).toEqual([
      `bridges.${other}.ownership: adopted → unmanaged`,
    ]);
    expect(linkOf(ns, other)).not.toBeNull();
    expect(linkOf(ns, other)!.ifalias).toBeUndefined();
  });

  it("a member that does not exist fails the resource before anything changes", async () => {
    const r = await run(resource(spec([bridge({ interfaces: [M1, M2, "vft-hn-none"], mtu: 1300 })])), true);
    expect(r.outcome).toBe("failed");
    expect(r.error).toMatch(/vft-hn-none \(member of vft-hn-br0\) does not exist on this host/);
    expect(linkOf(ns, BR)!.mtu).toBe(9000);
  });

  it("dropped from the policy: the bridge virtfleet created is deleted, its members released, its files removed", async () => {
    const r = resource(spec([]));
    const seen = await run(r, false);
    expect(fields(seen)).toContain(`bridges.${BR}`);
    const done = await run(r, true);
    expect(done.outcome).toBe("changed");
    expect(linkOf(ns, BR)).toBeNull();
    expect(linkOf(ns, M1)!.master).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
    expect((await run(r, false)).outcome).toBe("ok");
  });
});

describe("host networking: bonds and VLANs for real (this kernel may lack the modules)", () => {
  const bonding = kernelSupports("bond");
  const vlan = kernelSupports("vlan");

  it.skipIf(!bonding)("a bond with two veth slaves (needs kernel module bonding)", async () => {
    const r = new HostNetworkResource(
      {
        bridges: [],
        bonds: [
          { name: "vft-hn-bond0", mode: "active-backup", interfaces: [M1, M2], miimon: 100, mtu: null, adopt: false },
        ],
        vlans: [],
        allowUplinkChange: false,
      },
      "vft-hn-policy",
      [],
      runtime,
      { ip: realIp(ns) },
    );
    expect((await run(r, true)).outcome).toBe("changed");
    expect(linkOf(ns, M1)!.master).toBe("vft-hn-bond0");
    expect((await run(r, false)).outcome).toBe("ok");
    await run(resource(spec([])), true);
  });
  if (!bonding) it.skip("bonds: skipped, this kernel has no bonding module (ip link add … type bond fails)", () => {});

  it.skipIf(!vlan)("a VLAN on a veth (needs kernel module 8021q)", async () => {
    const r = new HostNetworkResource(
      {
        bridges: [],
        bonds: [],
        vlans: [{ name: "vft-hn-m1.20", link: M1, id: 20, mtu: null, adopt: false }],
        allowUplinkChange: false,
      },
      "vft-hn-policy",
      [],
      runtime,
      { ip: realIp(ns) },
    );
    expect((await run(r, true)).outcome).toBe("changed");
    expect(linkOf(ns, "vft-hn-m1.20")!.linkinfo.info_data.id).toBe(20);
    await run(resource(spec([])), true);
  });
  if (!vlan) it.skip("VLANs: skipped, this kernel has no 8021q module (ip link add … type vlan fails)", () => {});

  it.skipIf(bonding)(
    "without bonding, creating a bond fails naming the module, and nothing else is left half-made",
    async () => {
      const r = new HostNetworkResource(
        {
          bridges: [],
          bonds: [{ name: "vft-hn-bond0", mode: "802.3ad", interfaces: [M1], miimon: 100, mtu: null, adopt: false }],
          vlans: [],
          allowUplinkChange: false,
        },
        "vft-hn-policy",
        [],
        runtime,
        { ip: realIp(ns) },
      );
      const rep = await run(r, true);
      expect(rep.outcome).toBe("failed");
      expect(rep.error).toMatch(/no bond support \(module bonding not available/);
      expect(linkOf(ns, M1)!.master).toBeUndefined();
    },
  );
});
