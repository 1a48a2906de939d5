import { describe, expect, it } from "vitest";
import { lines, load, policy } from "../policy/helpers.js";

/** Issue 22 item 3, bad input: each is an error with file:line:col and the policy is not loaded. */
const check = (networks: string, spec = "") => {
  const r = load({ "p.yaml": policy("p", `    networks:\n${networks}`, spec) });
  return { errors: lines(r), loaded: r.policies.length };
};
const errs = (networks: string) => check(networks).errors;

describe("network policy validation", () => {
  it("a dual-stack NAT network with every field is valid", () => {
    const r = check(`      - name: n1
        mode: nat
        bridge: vfnwx1
        domain: lab.internal
        mtu: 1400
        nat: {portStart: 2000, portEnd: 3000}
        ipv4: {address: 192.168.110.1, prefix: 24, dhcp: {start: 192.168.110.10, end: 192.168.110.20,
               hosts: [{mac: "52:54:00:00:00:10", ip: 192.168.110.10, name: web}]}}
        ipv6: {address: "fd00:110::1", prefix: 64, dhcp: {start: "fd00:110::100", end: "fd00:110::1ff",
               hosts: [{id: "0:3:0:1:52:54:0:0:0:10", ip: "fd00:110::10"}, {name: web2, ip: "fd00:110::11"}]}}
        dns: {hosts: [{ip: 192.168.110.5, names: [db.lab.internal]}, {ip: "fd00:110::5", names: [db6.lab.internal]}], forwarders: [192.0.2.53, "2001:db8::53"]}
        portgroups: [{name: pg1, default: true, bandwidth: {inbound: {average: 1000, peak: 2000, burst: 100}}}]
`);
    expect(r.errors).toEqual([]);
    expect(r.loaded).toBe(1);
  });

  it("IPv6: the address is the host's address, prefix 1..128, DHCP range and hosts inside the subnet", () => {
    const v6 = (ipv6: string) => errs(`      - {name: n, mode: nat, ipv6: ${ipv6}}\n`);
    expect(v6('{address: "fd00:1::", prefix: 64}')[0]).toMatch(
      /^p\.yaml:\d+:\d+: spec\.resources\.networks\[0\]\.ipv6\.address: fd00:1:: is the subnet fd00:1::\/64 itself \(no host bits set\)/,
    );
    expect(v6('{address: "fd00:1::1", prefix: 129}')[0]).toMatch(/ipv6\.prefix: .*128/);
    expect(v6('{address: "fd00:1::1", prefix: 0}')[0]).toMatch(/ipv6\.prefix: .*1/);
    expect(v6('{address: "fd00:1::1", prefix: 64, dhcp: {start: "fd00:2::100", end: "fd00:1::1ff"}}')[0]).toMatch(
      /ipv6\.dhcp\.start: fd00:2::100 is outside the subnet fd00:1::\/64/,
    );
    expect(v6('{address: "fd00:1::1", prefix: 64, dhcp: {start: "fd00:1::200", end: "fd00:1::1ff"}}')[0]).toMatch(
      /ipv6\.dhcp\.end: DHCPv6 range ends \(fd00:1::1ff\) before it starts/,
    );
    expect(
      v6(
        '{address: "fd00:1::1", prefix: 64, dhcp: {start: "fd00:1::100", end: "fd00:1::1ff", hosts: [{id: "0:1", ip: "fd00:9::5"}]}}',
      )[0],
    ).toMatch(/ipv6\.dhcp\.hosts\[0\]\.ip: fd00:9::5 is outside the subnet/);
    expect(
      v6(
        '{address: "fd00:1::1", prefix: 64, dhcp: {start: "fd00:1::100", end: "fd00:1::1ff", hosts: [{ip: "fd00:1::5"}]}}',
      )[0],
    ).toMatch(/ipv6\.dhcp\.hosts\[0\]: a DHCPv6 static host needs the client's DUID \(id\) or its host name/);
    expect(
      v6(
        '{address: "fd00:1::1", prefix: 64, dhcp: {start: "fd00:1::100", end: "fd00:1::1ff", hosts: [{id: "zz:1", ip: "fd00:1::5"}]}}',
      )[0],
    ).toMatch(/hosts\[0\]\.id: invalid value "zz:1": a DHCPv6 DUID/);
  });

  it("IPv4 values in ipv6 and IPv6 values in ipv4 are rejected, and so are fields of the other family", () => {
    expect(errs("      - {name: n, mode: nat, ipv6: {address: 192.168.1.1, prefix: 64}}\n")[0]).toMatch(
      /ipv6\.address: invalid value "192\.168\.1\.1": an IPv6 address/,
    );
    expect(errs('      - {name: n, mode: nat, ipv4: {address: "fd00::1", prefix: 24}}\n')[0]).toMatch(
      /ipv4\.address: invalid value "fd00::1": an IPv4 address/,
    );
    expect(
      errs(
        '      - {name: n, mode: nat, ipv6: {address: "fd00::1", prefix: 64, dhcp: {start: "fd00::100", end: "fd00::1ff", hosts: [{mac: "52:54:00:00:00:01", ip: "fd00::5"}]}}}\n',
      ).join("\n"),
    ).toMatch(/ipv6\.dhcp\.hosts\[0\]/);
    expect(
      errs(
        '      - {name: n, mode: nat, ipv4: {address: 10.0.0.1, prefix: 24, dhcp: {start: 10.0.0.10, end: 10.0.0.20, hosts: [{id: "0:1", mac: "52:54:00:00:00:01", ip: 10.0.0.5}]}}}\n',
      ).join("\n"),
    ).toMatch(/ipv4\.dhcp\.hosts\[0\]/);
    expect(
      errs(
        "      - {name: n, mode: nat, ipv4: {address: 10.0.0.1, prefix: 24, dhcp: {start: 10.0.1.10, end: 10.0.0.20}}}\n",
      )[0],
    ).toMatch(/ipv4\.dhcp\.start: 10\.0\.1\.10 is outside the subnet 10\.0\.0\.0\/24/);
  });

  it("two networks of one policy on one bridge or on overlapping subnets: file:line:col of the second, naming the first", () => {
    const bridge = errs(`      - {name: a, mode: nat, bridge: vfnwdup}
      - {name: b, mode: isolated, bridge: vfnwdup}
`);
    expect(bridge).toEqual([
      expect.stringMatching(
        /^p\.yaml:9:\d+: spec\.resources\.networks\[1\]\.bridge: network "b" takes the bridge vfnwdup that network "a" \(networks\[0\]\) takes already/,
      ),
    ]);
    const subnet = errs(`      - {name: a, mode: nat, ipv4: {address: 10.9.0.1, prefix: 16}}
      - {name: b, mode: route, ipv4: {address: 10.9.5.1, prefix: 24}}
`);
    expect(subnet[0]).toMatch(
      /networks\[1\]\.ipv4: network "b" takes the IPv4 subnet 10\.9\.5\.0\/24 \(overlaps 10\.9\.0\.0\/16\)/,
    );
    const v6 = errs(`      - {name: a, mode: nat, ipv6: {address: "fd00:9::1", prefix: 64}}
      - {name: b, mode: isolated, ipv6: {address: "fd00:9::2", prefix: 64}}
`);
    expect(v6[0]).toMatch(/networks\[1\]\.ipv6: network "b" takes the IPv6 subnet fd00:9::\/64/);
    // Two bridge-mode networks may share one existing host bridge; an absent one takes nothing.
    expect(
      errs("      - {name: a, mode: bridge, bridge: br0}\n      - {name: b, mode: bridge, bridge: br0}\n"),
    ).toEqual([]);
    expect(
      errs("      - {name: a, mode: nat, bridge: vfnwq}\n      - {name: b, state: absent, bridge: vfnwq}\n"),
    ).toEqual([]);
  });

  it("two policies on one host: the second is rejected at its file:line:col, naming the first's", () => {
    const a = policy(
      "a",
      "    networks:\n      - {name: na, mode: nat, bridge: vfnwab, ipv4: {address: 10.8.0.1, prefix: 24}}\n",
    );
    const b = policy("b", "    networks:\n      - {name: nb, mode: nat, ipv4: {address: 10.8.0.2, prefix: 24}}\n");
    const r = load({ "a.yaml": a, "b.yaml": b });
    expect(lines(r)).toEqual([
      expect.stringMatching(
        /^b\.yaml:8:\d+: spec\.resources\.networks\[0\]\.ipv4: network "nb" takes the IPv4 subnet 10\.8\.0\.0\/24 that network "na" of policy "a" \(a\.yaml:8:\d+\) takes on hosts both policies target/,
      ),
    ]);
    expect(r.policies.map((p) => p.name)).toEqual(["a"]);
    // Policies that can never share a host do not clash.
    const onlyA = policy(
      "a",
      "    networks:\n      - {name: na, mode: nat, bridge: vfnwab}\n",
      "  targets: {hosts: [kvm1]}\n",
    );
    const onlyB = policy(
      "b",
      "    networks:\n      - {name: nb, mode: nat, bridge: vfnwab}\n",
      "  targets: {hosts: [kvm2]}\n",
    );
    expect(lines(load({ "a.yaml": onlyA, "b.yaml": onlyB }))).toEqual([]);
  });

  it("fields each mode takes", () => {
    expect(errs("      - {name: n, mode: macvtap}\n")[0]).toMatch(/interface: mode "macvtap" needs the host NIC/);
    expect(errs("      - {name: n, mode: hostdev}\n")[0]).toMatch(
      /pf: mode "hostdev" needs the SR-IOV physical function/,
    );
    expect(
      errs("      - {name: n, mode: macvtap, interface: eth0, ipv4: {address: 10.0.0.1, prefix: 24}}\n")[0],
    ).toMatch(/ipv4: ipv4 is not allowed with mode "macvtap"/);
    expect(errs("      - {name: n, mode: bridge, bridge: br0, mtu: 1400}\n")[0]).toMatch(
      /mtu: mtu is not allowed with mode "bridge"/,
    );
    expect(errs("      - {name: n, mode: route, nat: {portStart: 1, portEnd: 2}}\n")[0]).toMatch(
      /nat: nat is not allowed with mode "route"/,
    );
    expect(errs("      - {name: n, mode: nat, nat: {portStart: 3000, portEnd: 2000}}\n")[0]).toMatch(
      /nat\.portEnd: port range ends \(2000\) before it starts \(3000\)/,
    );
    expect(errs("      - {name: n, mode: nat, macvtapMode: vepa}\n")[0]).toMatch(
      /macvtapMode: macvtapMode is not allowed/,
    );
    expect(errs("      - {name: n, mode: nat, virtualport: openvswitch}\n")[0]).toMatch(
      /virtualport: virtualport is not allowed/,
    );
    expect(errs("      - {name: n, mode: macvtap, interface: eth0, macvtapMode: bogus}\n")[0]).toMatch(/macvtapMode/);
  });

  it("port groups: VLAN tags only where libvirt takes them, no bandwidth with macvtap/hostdev, one default, unique names", () => {
    expect(errs("      - {name: n, mode: bridge, bridge: br0, portgroups: [{name: v, vlan: 20}]}\n")[0]).toMatch(
      /portgroups\[0\]\.vlan: a VLAN tag needs an Open vSwitch bridge/,
    );
    expect(
      errs(
        "      - {name: n, mode: bridge, bridge: br0, virtualport: openvswitch, portgroups: [{name: v, vlan: 20}]}\n",
      ),
    ).toEqual([]);
    expect(errs("      - {name: n, mode: hostdev, pf: enp3s0f0, portgroups: [{name: v, vlan: 20}]}\n")).toEqual([]);
    expect(
      errs(
        "      - {name: n, mode: macvtap, interface: eth0, macvtapMode: passthrough, portgroups: [{name: v, vlan: 20}]}\n",
      ),
    ).toEqual([]);
    expect(
      errs(
        "      - {name: n, mode: macvtap, interface: eth0, portgroups: [{name: v, bandwidth: {inbound: {average: 10}}}]}\n",
      )[0],
    ).toMatch(/portgroups\[0\]\.bandwidth: libvirt has no port group bandwidth limits for mode "macvtap"/);
    expect(
      errs("      - {name: n, mode: nat, portgroups: [{name: a, default: true}, {name: b, default: true}]}\n")[0],
    ).toMatch(/portgroups\[1\]\.default: only one port group can be the default/);
    expect(errs("      - {name: n, mode: nat, portgroups: [{name: a}, {name: a}]}\n")[0]).toMatch(
      /portgroups\[1\]\.name: port group "a" is declared twice/,
    );
    expect(errs("      - {name: n, mode: nat, portgroups: [{name: a, vlan: 4095}]}\n").join("\n")).toMatch(/vlan/);
  });

  it("DNS: addresses of either family, at least one name, one entry per address", () => {
    expect(errs("      - {name: n, mode: nat, dns: {forwarders: [not-an-ip]}}\n")[0]).toMatch(
      /dns\.forwarders\[0\]: "not-an-ip" is not an IPv4 or IPv6 address/,
    );
    expect(errs("      - {name: n, mode: nat, dns: {hosts: [{ip: 10.0.0.5, names: []}]}}\n")[0]).toMatch(
      /at least one name/,
    );
    expect(
      errs("      - {name: n, mode: nat, dns: {hosts: [{ip: 10.0.0.5, names: [a]}, {ip: 10.0.0.5, names: [b]}]}}\n")[0],
    ).toMatch(/dns\.hosts\[1\]\.ip: 10\.0\.0\.5 has two DNS host entries/);
  });

  it("overlay is not a mode yet", () => {
    expect(errs("      - {name: n, mode: overlay}\n")[0]).toMatch(/mode/);
  });
});
