import { describe, expect, it } from "vitest";
import { lines, load, policy } from "./helpers.js";

// Pool types at validation: every bad input is an error at its file:line:col, nothing loads.
const pools = (yaml: string) => policy("p", `    pools:\n${yaml}`);
const errs = (yaml: string) => lines(load({ "p.yaml": pools(yaml) }));

describe("pool types: valid policies", () => {
  it("the example of every type loads, with defaults per type", () => {
    const r = load({
      "p.yaml": pools(`      - {name: p-dir, type: dir, path: /var/lib/libvirt/p-dir}
      - {name: p-fs, type: fs, source: {device: /dev/vdb1, format: ext4}, path: /srv/p-fs, build: false}
      - {name: p-lvm, type: logical, source: {name: vg_guests, devices: [/dev/vdc]}, build: true, overwrite: false}
      - {name: p-nfs, type: netfs, source: {host: nfs1.lab, dir: /export/guests, format: nfs}, path: /srv/p-nfs}
      - {name: p-disk, type: disk, source: {device: /dev/vdd, format: gpt}, path: /dev, build: true}
      - {name: p-isc, type: iscsi, source: {host: san1.lab, port: 3260, target: "iqn.2026-01.lab:guests", initiator: "iqn.2026-01.lab:kvm01", chap: {username: kvm01, secretFile: /etc/virtfleet/chap-kvm01}}, path: /dev/disk/by-path}
      - {name: p-iscd, type: iscsi-direct, source: {host: san1.lab, target: "iqn.2026-01.lab:other", initiator: "iqn.2026-01.lab:kvm01"}}
      - {name: p-rbd, type: rbd, source: {hosts: ["mon1.lab:6789"], name: rbd-guests, auth: {username: libvirt, secretFile: /etc/virtfleet/ceph-libvirt.key}}}
      - {name: p-disk2, type: disk, source: {device: /dev/vde}}
`),
    });
    expect(lines(r)).toEqual([]);
    const resources = r.policies[0]!.document.spec.resources;
    expect(resources.pools).toHaveLength(9);
  });
});

describe("pool types: bad input, each at file:line:col", () => {
  it("a device path outside /dev", () => {
    expect(errs("      - {name: p, type: fs, source: {device: /srv/disk.img}, path: /srv/p}\n")).toEqual([
      'p.yaml:8:46: spec.resources.pools[0].source.device: "/srv/disk.img" is not a device path: it must be under /dev',
    ]);
    expect(errs("      - {name: p, type: logical, source: {name: vg, devices: [/dev/vdc, /tmp/pv]}}\n")).toEqual([
      'p.yaml:8:73: spec.resources.pools[0].source.devices[1]: "/tmp/pv" is not a device path: it must be under /dev',
    ]);
  });

  it("two pools of one policy on one target: path, device, export, iSCSI target, Ceph pool", () => {
    expect(
      errs("      - {name: a, path: /srv/x}\n      - {name: b, type: fs, source: {device: /dev/vdb}, path: /srv/x}\n"),
    ).toEqual([
      "p.yaml:9:63: spec.resources.pools[1].path: pool path /srv/x is used twice in this policy (first at pools[0]); two pools cannot share it",
    ]);
    expect(
      errs(
        "      - {name: a, type: disk, source: {device: /dev/vdb}}\n      - {name: b, type: fs, source: {device: /dev/vdb}, path: /srv/b}\n",
      ),
    ).toEqual([
      "p.yaml:9:37: spec.resources.pools[1].source: pool source device /dev/vdb is used twice in this policy (first at pools[0]); two pools cannot share it",
    ]);
    // disk pools share /dev as their target path by design
    expect(
      errs(
        "      - {name: a, type: disk, source: {device: /dev/vdb}}\n      - {name: b, type: disk, source: {device: /dev/vdc}}\n",
      ),
    ).toEqual([]);
    expect(
      errs(
        "      - {name: a, type: rbd, source: {hosts: [m1], name: r}}\n      - {name: b, type: rbd, source: {hosts: [m1], name: r}}\n",
      ),
    ).toHaveLength(1);
  });

  it("fields a type does not take, required ones missing, formats of the type", () => {
    expect(errs("      - {name: p, type: dir, path: /srv/p, source: {device: /dev/vdb}}\n")).toEqual([
      "p.yaml:8:61: spec.resources.pools[0].source.device: a dir pool takes no source: remove source.device",
    ]);
    expect(errs("      - {name: p, type: rbd, path: /srv/p, source: {hosts: [m1], name: r, dir: /x}}\n")).toEqual([
      "p.yaml:8:36: spec.resources.pools[0].path: a rbd pool has no target path: remove path",
      "p.yaml:8:80: spec.resources.pools[0].source.dir: a rbd pool takes no source.dir (it takes: hosts, name, auth)",
    ]);
    expect(errs("      - {name: p, type: iscsi-direct, source: {host: san1, target: 'iqn.2026-01.lab:t'}}\n")).toEqual([
      "p.yaml:8:47: spec.resources.pools[0].source: a iscsi-direct pool needs source.initiator",
    ]);
    expect(errs("      - {name: p, type: netfs, path: /srv/p, source: {host: h, dir: /e, format: ext4}}\n")).toEqual([
      'p.yaml:8:81: spec.resources.pools[0].source.format: "ext4" is not a netfs format (nfs | cifs | glusterfs)',
    ]);
    expect(errs("      - {name: p, type: iscsi, source: {host: h, target: 'not-an-iqn'}}\n")).toEqual([
      'p.yaml:8:58: spec.resources.pools[0].source.target: "not-an-iqn" is not an iSCSI name (iqn.YYYY-MM.domain[:name], eui.<16 hex digits> or naa.<hex>)',
    ]);
  });

  it("build only where it formats something; overwrite only with build; an fs build names its file system", () => {
    expect(errs("      - {name: p, path: /srv/p, build: true}\n")).toEqual([
      "p.yaml:8:40: spec.resources.pools[0].build: a dir pool has nothing to format: remove build (dir and netfs directories are always created)",
    ]);
    expect(errs("      - {name: p, type: disk, source: {device: /dev/vdb}, overwrite: true}\n")).toEqual([
      "p.yaml:8:70: spec.resources.pools[0].overwrite: overwrite only applies with build: true",
    ]);
    expect(errs("      - {name: p, type: fs, path: /srv/p, source: {device: /dev/vdb}, build: true}\n")).toEqual([
      "p.yaml:8:51: spec.resources.pools[0].source.format: build: true needs the file system to make: set source.format (ext4, xfs, …), not auto",
    ]);
  });

  it("a secret file must be an absolute path; an unknown type is a schema error", () => {
    expect(
      errs("      - {name: p, type: rbd, source: {hosts: [m], name: r, auth: {username: u, secretFile: keys/ceph}}}\n"),
    ).toEqual(['p.yaml:8:92: spec.resources.pools[0].source.auth.secretFile: "keys/ceph" must be an absolute path']);
    expect(errs("      - {name: p, type: zfs, path: /srv/p}\n")[0]).toMatch(
      /^p\.yaml:8:\d+: spec\.resources\.pools\[0\]\.type: /,
    );
  });
});

describe("pool targets across the policies of one host", () => {
  const two = (a: string, b: string, targetsB = "") =>
    load({ "a.yaml": policy("a", `    pools:\n${a}`), "b.yaml": policy("b", `    pools:\n${b}`, targetsB) });

  it("a pool of another policy on the same path is an error at the later one, naming the first", () => {
    const r = two(
      "      - {name: pa, path: /srv/shared}\n",
      "      - {name: pb, type: fs, source: {device: /dev/vdb}, path: /srv/shared}\n",
    );
    expect(lines(r)).toEqual([
      'b.yaml:8:64: spec.resources.pools[0].path: pool "pb": its path /srv/shared is also pool "pa"\'s in policy "a" (a.yaml:8:26) on hosts both policies target; two pools cannot share it',
    ]);
    expect(r.policies.map((p) => p.name)).toEqual(["a"]);
  });

  it("the same device in two policies is an error too; policies that never share a host are not", () => {
    expect(
      lines(
        two(
          "      - {name: pa, type: disk, source: {device: /dev/vdb}}\n",
          "      - {name: pb, type: fs, source: {device: /dev/vdb}, path: /srv/b}\n",
        ),
      ),
    ).toHaveLength(1);
    const apart = load({
      "a.yaml": policy("a", "    pools:\n      - {name: pa, path: /srv/shared}\n", '  targets: {hosts: ["h1"]}\n'),
      "b.yaml": policy("b", "    pools:\n      - {name: pb, path: /srv/shared}\n", '  targets: {hosts: ["h2"]}\n'),
    });
    expect(lines(apart)).toEqual([]);
  });
});
