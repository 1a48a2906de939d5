/**
 * Every pool type and field at libvirt's validation level, against the real libvirtd: the XML
 * kinds/pool builds is defined (over our RPC client), read back with `virsh pool-dumpxml
 * --inactive` (the independent oracle), and must diff as in sync. Types whose storage this
 * machine cannot provide (logical: no device-mapper; netfs: no NFS/CIFS client, no Gluster;
 * iscsi, iscsi-direct: no initiator or target; rbd: no Ceph) are defined, never started.
 * The resource path with credentials (iscsi CHAP, Ceph key) runs in resource-secrets.test.ts.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPoolXml, diffPool, parsePoolXml } from "../../../kinds/index.js";
import type { PoolSpec } from "../../../kinds/pool/spec.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { virsh, virshResult } from "../../harness/virsh.js";

const hex = randomBytes(3).toString("hex");
const prefix = `vft-pl-${hex}-`;
let hv: Hypervisor;
const defined: string[] = [];

const base = (name: string, over: Partial<PoolSpec>): PoolSpec => ({
  name: `${prefix}${name}`,
  type: "dir",
  path: null,
  autostart: false,
  state: "inactive",
  ...over,
});
const cred = (username: string) => ({ username, secretFile: `/etc/virtfleet/${prefix}${username}` });

/** One spec per type and field combination (all optional fields set, and none set). */
const SPECS: PoolSpec[] = [
  base("dir", { type: "dir", path: `/var/lib/libvirt/${prefix}dir` }),
  base("fs-ext4", {
    type: "fs",
    path: `/srv/${prefix}fs-ext4`,
    source: { device: `/dev/${prefix}fs1`, format: "ext4" },
  }),
  base("fs-auto", {
    type: "fs",
    path: `/srv/${prefix}fs-auto`,
    source: { device: `/dev/${prefix}fs2`, format: "auto" },
  }),
  base("fs-xfs", { type: "fs", path: `/srv/${prefix}fs-xfs`, source: { device: `/dev/${prefix}fs3`, format: "xfs" } }),
  base("lvm", {
    type: "logical",
    source: { name: `vg_${hex}_a`, devices: [`/dev/${prefix}pv1`, `/dev/${prefix}pv2`] },
  }),
  base("lvm-nodev", { type: "logical", source: { name: `vg_${hex}_b` } }),
  base("nfs", {
    type: "netfs",
    path: `/srv/${prefix}nfs`,
    source: { host: "nfs1.lab", dir: `/export/${prefix}guests`, format: "nfs" },
  }),
  base("cifs", {
    type: "netfs",
    path: `/srv/${prefix}cifs`,
    source: { host: "smb1.lab", dir: `/${prefix}share`, format: "cifs" },
  }),
  base("gluster", {
    type: "netfs",
    path: `/srv/${prefix}gluster`,
    source: { host: "192.0.2.10", dir: `/${prefix}gv0`, format: "glusterfs" },
  }),
  base("disk-gpt", { type: "disk", path: "/dev", source: { device: `/dev/${prefix}d1`, format: "gpt" } }),
  base("disk-dos", { type: "disk", path: "/dev", source: { device: `/dev/${prefix}d2`, format: "dos" } }),
  base("isc", {
    type: "iscsi",
    path: "/dev/disk/by-path",
    source: {
      host: "san1.lab",
      port: 3260,
      target: `iqn.2026-01.lab:${prefix}guests`,
      initiator: "iqn.2026-01.lab:kvm01",
      chap: cred("kvm01"),
    },
  }),
  base("isc-min", {
    type: "iscsi",
    path: "/dev/disk/by-path",
    source: { host: "san2.lab", port: 3261, target: `iqn.2026-01.lab:${prefix}min` },
  }),
  base("iscd", {
    type: "iscsi-direct",
    source: {
      host: "san1.lab",
      port: 3260,
      target: `iqn.2026-01.lab:${prefix}direct`,
      initiator: "iqn.2026-01.lab:kvm01",
      chap: cred("kvm01d"),
    },
  }),
  base("rbd", {
    type: "rbd",
    source: { hosts: ["mon1.lab:6789", "mon2.lab"], name: `${prefix}rbd`, auth: cred("libvirt") },
  }),
  base("rbd-min", { type: "rbd", source: { hosts: ["192.0.2.20:3300"], name: `${prefix}rbd2` } }),
];

beforeAll(async () => {
  hv = await Hypervisor.open();
});

afterAll(async () => {
  for (const name of defined) await virshResult("pool-undefine", name);
  await hv?.close();
});

describe("every pool type and field through libvirt's validation", () => {
  for (const spec of SPECS) {
    it(`${spec.type} ${spec.name.slice(prefix.length)}: defined, read back, in sync`, async () => {
      const ref = await hv.definePool(buildPoolXml(spec));
      defined.push(ref.name);
      const xml = await virsh("pool-dumpxml", "--inactive", spec.name);
      const parsed = parsePoolXml(xml);
      expect(parsed.type).toBe(spec.type);
      expect(diffPool(spec, parsed), xml).toEqual([]);
      // the same through our own client, and once more after a redefine with the UUID
      const again = await hv.definePool(buildPoolXml(spec, { uuid: ref.uuid }));
      expect(again.uuid).toBe(ref.uuid);
      expect(diffPool(spec, parsePoolXml(await hv.poolXml(again, { inactive: true })), { uuid: ref.uuid })).toEqual([]);
    });
  }

  it("a changed field reads back as exactly that change, with its disruption class", async () => {
    const rbd = SPECS.find((s) => s.type === "rbd" && s.source?.auth)!;
    const moved: PoolSpec = { ...rbd, source: { ...rbd.source, name: `${prefix}other` } };
    const relogin: PoolSpec = { ...rbd, source: { ...rbd.source, auth: cred("admin") } };
    const actual = parsePoolXml(await virsh("pool-dumpxml", "--inactive", rbd.name));
    expect(diffPool(moved, actual)).toEqual([
      { field: "source.name", from: `${prefix}rbd`, to: `${prefix}other`, disruption: "recreate" },
    ]);
    expect(diffPool(relogin, actual)).toEqual([
      { field: "source.auth.username", from: "libvirt", to: "admin", disruption: "restart" },
    ]);
  });
});
