/**
 * The devices and metadata fields at policy load: bad input rejected with file:line:col,
 * defaults left out of the resolved spec (so a guest that does not use them keeps its spec
 * hash), canonical identifiers.
 */
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../../../common/index.js";
import { domainSpecHash } from "../../../kinds/domain/resource.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { lines, load, policy } from "../policy/helpers.js";

const domain = (fields: string) => policy("p", `    domains:\n      - {name: d, vcpus: 1, memory: 1GiB${fields}}\n`);
const errs = (fields: string) => lines(load({ "p.yaml": domain(fields) }));
const resolved = (fields: string): DomainSpec => {
  const r = load({ "p.yaml": domain(fields) });
  expect(lines(r)).toEqual([]);
  return resolvePolicy(r.policies[0]!, { name: "kvm01.lab" }).resources.domains[0]!;
};

describe("devices and metadata at policy load", () => {
  it("every error names file:line:col and the field", () => {
    const cases: [string, RegExp][] = [
      [", graphics: {type: vnc, passwordFile: etc/pw}", /graphics\.passwordFile: "etc\/pw" must be an absolute path/],
      [
        ", graphics: {type: vnc, listen: vnc.example.org}",
        /graphics\.listen: invalid value "vnc.example.org": listen must be an IPv4 or IPv6 address/,
      ],
      [", graphics: {type: none, listen: 0.0.0.0}", /graphics\.listen: listen needs type vnc or spice/],
      [", graphics: {type: rdp}", /graphics\.type: must be one of: vnc, spice, none/],
      [", graphics: vnc-secure", /graphics: must be one of: none, vnc/],
      [
        ", hostdevs: [{pci: '0000:3b:00.1'}, {pci: '3B:00.1'}]",
        /hostdevs\[1\]: host device pci 0000:3b:00.1 is listed twice \(first at hostdevs\[0\]\)/,
      ],
      [", hostdevs: [{pci: '0000:3b:20.1'}]", /hostdevs\[0\]\.pci: invalid PCI address "0000:3b:20.1"/],
      [", hostdevs: [{pci: 'eth0'}]", /hostdevs\[0\]\.pci: invalid PCI address "eth0"/],
      [
        ", hostdevs: [{pci: '0000:3b:00.1', usb: {vendor: '0x1', product: '0x2'}}]",
        /hostdevs\[0\]: a host device is one of pci, usb or mdev, not pci and usb/,
      ],
      [", hostdevs: [{}]", /hostdevs\[0\]: a host device needs one of pci, usb or mdev/],
      [
        ", hostdevs: [{usb: {vendor: '0x0781', product: 'xyz'}}]",
        /hostdevs\[0\]\.usb\.product: invalid USB product id "xyz"/,
      ],
      [", hostdevs: [{mdev: not-a-uuid}]", /hostdevs\[0\]\.mdev: invalid mdev "not-a-uuid"/],
      [
        ", hostdevs: [{pci: '0000:3b:00.1', model: vfio-pci}]",
        /hostdevs\[0\]\.model: model applies to mdev devices only/,
      ],
      [
        ", filesystems: [{source: /srv/a, target: data}, {source: /srv/b, target: data}]",
        /filesystems\[1\]\.target: mount tag "data" is also used by filesystems\[0\]/,
      ],
      [", filesystems: [{source: srv/a, target: data}]", /filesystems\[0\]\.source: "srv\/a" must be an absolute path/],
      [
        ", filesystems: [{source: /srv/a, target: data, driver: 9p}]",
        /filesystems\[0\]\.driver: must be one of: virtiofs/,
      ],
      [", watchdog: {model: itco}", /watchdog\.model: the itco watchdog is part of the q35 chipset/],
      [", watchdog: {model: i6300esb, action: explode}", /watchdog\.action: must be one of: reset, shutdown/],
      [", console: pty", /console: must be one of: serial, none/],
      [", labels: {'bad key': x}", /labels(\.bad key|\["bad key"\]): invalid key "bad key"/],
      [", title: ' padded '", /title: must not start or end with white space/],
    ];
    for (const [fields, want] of cases) {
      const got = errs(fields);
      expect(got.length, `${fields}: ${got.join(" | ")}`).toBeGreaterThan(0);
      expect(got.join("\n"), fields).toMatch(want);
      for (const l of got) expect(l).toMatch(/^p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\./);
    }
  });

  it("a password written in the policy is refused by the schema, naming passwordFile", () => {
    const got = errs(", graphics: {type: vnc, password: hunter22}");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/graphics\.password: a password is never written in a policy: .* passwordFile/);
    expect(got[0]).not.toContain("hunter22");
  });

  it("itco is accepted on q35", () => {
    expect(errs(", machine: q35, watchdog: {model: itco}")).toEqual([]);
  });

  it("fields at their defaults are left out: the spec (and its hash) of an existing guest does not change", () => {
    const plain = resolved("");
    for (const f of [
      ", guestAgent: false",
      ", rng: false",
      ", console: serial",
      ", hostdevs: []",
      ", filesystems: []",
      ", labels: {}",
      ", graphics: {type: none}",
    ])
      expect(resolved(f), f).toEqual(plain);
    expect(resolved(", graphics: {type: vnc}").graphics).toBe("vnc");
    expect(resolved(", graphics: {type: vnc, listen: 127.0.0.1}")).toEqual(resolved(", graphics: vnc"));
    expect(domainSpecHash(resolved(", graphics: {type: vnc}"))).toBe(domainSpecHash(resolved(", graphics: vnc")));
  });

  it("title and labels are not part of the spec hash (changed live)", () => {
    expect(domainSpecHash(resolved(", title: T, labels: {a: b}"))).toBe(domainSpecHash(resolved("")));
  });

  it("resolves defaults and canonical identifiers", () => {
    const d = resolved(
      ", guestAgent: true, rng: true, console: none, watchdog: {model: i6300esb}, graphics: {type: spice, passwordFile: /etc/pw}" +
        ", hostdevs: [{pci: '3B:00.1'}, {usb: {vendor: '781', product: '0X5581'}}, {mdev: 4B20D080-1B54-4048-85B3-A6A62D165C01}]" +
        ", filesystems: [{source: /srv/s, target: s}], labels: {tier: web}, title: Web",
    );
    expect(d).toMatchObject({
      guestAgent: true,
      rng: true,
      console: "none",
      watchdog: { model: "i6300esb", action: "reset" },
      graphics: { type: "spice", listen: "127.0.0.1", passwordFile: "/etc/pw" },
      hostdevs: [
        { pci: "0000:3b:00.1" },
        { usb: { vendor: "0x0781", product: "0x5581" } },
        { mdev: "4b20d080-1b54-4048-85b3-a6a62d165c01", model: "vfio-pci" },
      ],
      filesystems: [{ source: "/srv/s", target: "s", driver: "virtiofs" }],
      labels: { tier: "web" },
      title: "Web",
    });
  });
});

describe("the spec hash and the password file", () => {
  it("moving the password file is no configuration change (its content is compared on its own)", () => {
    const r = (f: string) => {
      const l = load({ "p.yaml": domain(f) });
      return resolvePolicy(l.policies[0]!, { name: "kvm01.lab" }).resources.domains[0]!;
    };
    const a = r(", graphics: {type: vnc, listen: 0.0.0.0, passwordFile: /etc/a}");
    const b = r(", graphics: {type: vnc, listen: 0.0.0.0, passwordFile: /etc/b}");
    const c = r(", graphics: {type: vnc, listen: 0.0.0.0}");
    expect(domainSpecHash(a)).toBe(domainSpecHash(b));
    expect(domainSpecHash(a)).toBe(domainSpecHash(c));
    expect(domainSpecHash(r(", graphics: {type: vnc, listen: 0.0.0.1, passwordFile: /etc/a}"))).not.toBe(
      domainSpecHash(a),
    );
  });
});
