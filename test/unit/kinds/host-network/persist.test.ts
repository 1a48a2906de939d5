import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectPersistTarget } from "../../../../kinds/host/network/index.js";
import {
  desiredFiles,
  diffFiles,
  persistedOwnership,
  type PersistTarget,
} from "../../../../kinds/host/network/persist/files.js";
import { ifupdownFileName } from "../../../../kinds/host/network/persist/ifupdown.js";
import type { HostNetworkSpec } from "../../../../kinds/host/network/spec.js";

const spec: HostNetworkSpec = {
  bridges: [{ name: "br0", interfaces: ["bond0"], stp: false, mtu: 9000, vlanFiltering: false, adopt: false }],
  bonds: [{ name: "bond0", mode: "802.3ad", interfaces: ["eno1", "eno2"], miimon: 100, mtu: null, adopt: false }],
  vlans: [{ name: "eno1.20", link: "eno3", id: 20, mtu: null, adopt: false }],
  allowUplinkChange: false,
};
const all = new Set(["br0", "bond0", "eno1.20"]);
const H = "# virtfleet: created (managed by virtfleet; edits are reverted)";

describe("persistent host network configuration", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("systemd-networkd: a .netdev per interface, a .network per created interface, member and VLAN parent", () => {
    const t: PersistTarget = { style: "networkd", dir: "/etc/systemd/network" };
    const f = desiredFiles(t, spec, all);
    expect([...f.keys()].sort()).toEqual([
      "50-virtfleet-bond0.netdev",
      "50-virtfleet-bond0.network",
      "50-virtfleet-br0.netdev",
      "50-virtfleet-br0.network",
      "50-virtfleet-eno1.20.netdev",
      "50-virtfleet-eno1.20.network",
      "50-virtfleet-eno1.network",
      "50-virtfleet-eno2.network",
      "50-virtfleet-eno3.network",
    ]);
    expect(f.get("50-virtfleet-br0.netdev")).toBe(
      `${H}\n[NetDev]\nName=br0\nKind=bridge\nMTUBytes=9000\n\n[Bridge]\nSTP=false\nVLANFiltering=false\n`,
    );
    expect(f.get("50-virtfleet-bond0.netdev")).toBe(
      `${H}\n[NetDev]\nName=bond0\nKind=bond\n\n[Bond]\nMode=802.3ad\nMIIMonitorSec=100ms\n`,
    );
    expect(f.get("50-virtfleet-eno1.20.netdev")).toBe(`${H}\n[NetDev]\nName=eno1.20\nKind=vlan\n\n[VLAN]\nId=20\n`);
    expect(f.get("50-virtfleet-bond0.network")).toBe(
      `${H}\n[Match]\nName=bond0\n\n[Network]\nConfigureWithoutCarrier=yes\nLinkLocalAddressing=no\nBridge=br0\n`,
    );
    expect(f.get("50-virtfleet-eno1.network")).toBe(`${H}\n[Match]\nName=eno1\n\n[Network]\nBond=bond0\n`);
    expect(f.get("50-virtfleet-eno3.network")).toBe(`${H}\n[Match]\nName=eno3\n\n[Network]\nVLAN=eno1.20\n`);
    expect(persistedOwnership(t, f)).toEqual(
      new Map([
        ["bond0", "created"],
        ["br0", "created"],
        ["eno1.20", "created"],
      ]),
    );
  });

  it("ifupdown: one stanza file per interface, names encoded for run-parts", () => {
    const t: PersistTarget = { style: "ifupdown", dir: "/etc/network/interfaces.d" };
    const f = desiredFiles(t, spec, all);
    expect([...f.keys()].sort()).toEqual(["virtfleet-bond0", "virtfleet-br0", "virtfleet-eno1_2e20"]);
    expect(f.get("virtfleet-br0")).toBe(
      `${H}\nauto br0\niface br0 inet manual\n    bridge_ports bond0\n    bridge_stp off\n    mtu 9000\n`,
    );
    expect(f.get("virtfleet-bond0")).toBe(
      `${H}\nauto bond0\niface bond0 inet manual\n    bond-slaves eno1 eno2\n    bond-mode 802.3ad\n    bond-miimon 100\n`,
    );
    expect(f.get("virtfleet-eno1_2e20")).toBe(
      `${H}\nauto eno1.20\niface eno1.20 inet manual\n    vlan-raw-device eno3\n    vlan-id 20\n`,
    );
    expect(ifupdownFileName("a_b.c")).toBe("virtfleet-a_5fb_2ec");
    expect(persistedOwnership(t, new Map([[ifupdownFileName("a_b.c"), f.get("virtfleet-br0")!]]))).toEqual(
      new Map([["a_b.c", "created"]]),
    );
  });

  it("adopted interfaces get no files (the host's own configuration stays authoritative)", () => {
    const f = desiredFiles({ style: "networkd", dir: "/x" }, spec, new Set(["br0"]));
    expect([...f.keys()].sort()).toEqual([
      "50-virtfleet-bond0.network",
      "50-virtfleet-br0.netdev",
      "50-virtfleet-br0.network",
    ]);
  });

  it("diff: missing and edited files are written, virtfleet's files no longer wanted removed", () => {
    const t: PersistTarget = { style: "networkd", dir: "/n" };
    const { changes, ops } = diffFiles(
      t,
      new Map([
        ["50-virtfleet-a.netdev", "A"],
        ["50-virtfleet-b.netdev", "B"],
        ["50-virtfleet-c.netdev", "C"],
      ]),
      new Map([
        ["50-virtfleet-b.netdev", "B edited"],
        ["50-virtfleet-c.netdev", "C"],
        ["50-virtfleet-old.netdev", "O"],
      ]),
    );
    expect(changes.map((c) => `${c.field}: ${c.from} → ${c.to}`)).toEqual([
      "persistent./n/50-virtfleet-a.netdev: missing → written",
      "persistent./n/50-virtfleet-b.netdev: edited → written",
      "persistent./n/50-virtfleet-old.netdev: present → removed",
    ]);
    expect(ops).toEqual([
      { file: "50-virtfleet-a.netdev", content: "A" },
      { file: "50-virtfleet-b.netdev", content: "B" },
      { file: "50-virtfleet-old.netdev", content: null },
    ]);
  });

  it("detects ifupdown, then systemd-networkd, else none", async () => {
    const root = await mkdtemp(join(tmpdir(), "vft-hn-detect-"));
    dirs.push(root);
    expect(await detectPersistTarget(root)).toEqual({ style: "none", dir: "" });
    await mkdir(join(root, "etc/systemd/network"), { recursive: true });
    expect(await detectPersistTarget(root)).toEqual({ style: "networkd", dir: join(root, "etc/systemd/network") });
    await mkdir(join(root, "etc/network"), { recursive: true });
    await writeFile(join(root, "etc/network/interfaces"), "source /etc/network/interfaces.d/*\n");
    expect((await detectPersistTarget(root)).style).toBe("networkd"); // no ifup: ifupdown is not installed
    await mkdir(join(root, "sbin"), { recursive: true });
    await writeFile(join(root, "sbin/ifup"), "");
    expect(await detectPersistTarget(root)).toEqual({ style: "ifupdown", dir: join(root, "etc/network/interfaces.d") });
  });
});
