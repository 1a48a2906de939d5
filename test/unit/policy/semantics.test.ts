import { describe, expect, it } from "vitest";
import { lines, load, policy } from "./helpers.js";

const errs = (resources: string, spec = "") =>
  lines(load({ "p.yaml": policy("p", resources, spec) })).map((l) => l.replace(/^p\.yaml:\d+:\d+: /, ""));

describe("semantic validation", () => {
  it("resource names: no '/', no '..', no control characters", () => {
    expect(errs('    domains:\n      - {name: "a/b", vcpus: 1, memory: 1GiB}\n')[0]).toMatch(
      /^spec\.resources\.domains\[0\]\.name: invalid value "a\/b"/,
    );
    expect(errs('    volumes:\n      - {name: "..", pool: p, capacity: 1}\n')[0]).toMatch(
      /volumes\[0\]\.name: invalid value/,
    );
    expect(errs('    volumes:\n      - {name: "a..b", pool: p, capacity: 1}\n')[0]).toMatch(
      /volumes\[0\]\.name: invalid value/,
    );
    expect(errs('    volumes:\n      - {name: "disk-1.qcow2", pool: p, capacity: 1}\n')).toEqual([]);
    expect(errs('    domains:\n      - {name: "a\\u0000b", vcpus: 1, memory: 1GiB}\n')[0]).toMatch(
      /domains\[0\]\.name: invalid value/,
    );
    expect(errs('    domains:\n      - {name: "${vars.x}\\n", vcpus: 1, memory: 1GiB}\n', "  vars: {x: a}\n")).toEqual([
      "spec.resources.domains[0].name: the control character U+000A (newline) at character 10 is not allowed (no control characters: newlines, tabs, NUL…)",
    ]);
  });

  it("pool paths are absolute and normalised, never '..' or '/'", () => {
    for (const [path, msg] of [
      ["var/lib/x", /must be an absolute path/],
      ["/var/lib/../etc", /must not contain "\.\."/],
      ["/var//lib", /must be normalised/],
      ["/var/lib/", /must be normalised/],
      ["/", /not allowed/],
    ] as const) {
      expect(errs(`    pools:\n      - {name: p, path: "${path}"}\n`)[0]).toMatch(msg);
    }
  });

  it("IPv4: address is a host address; DHCP range inside the subnet, ordered, excluding the address; leases inside", () => {
    const net = (ipv4: string) => errs(`    networks:\n      - {name: n, mode: nat, ipv4: ${ipv4}}\n`);
    expect(net("{address: 10.1.0.1, prefix: 24, dhcp: {start: 10.1.0.10, end: 10.1.0.20}}")).toEqual([]);
    expect(net("{address: 10.1.0.0, prefix: 24}")[0]).toMatch(/is the network address of 10\.1\.0\.0\/24/);
    expect(net("{address: 10.1.0.1, prefix: 24, dhcp: {start: 10.1.1.10, end: 10.1.0.20}}")[0]).toMatch(
      /dhcp\.start: 10\.1\.1\.10 is outside the subnet 10\.1\.0\.0\/24/,
    );
    expect(net("{address: 10.1.0.1, prefix: 24, dhcp: {start: 10.1.0.10, end: 10.1.0.255}}")[0]).toMatch(
      /dhcp\.end: 10\.1\.0\.255 is outside/,
    );
    expect(net("{address: 10.1.0.1, prefix: 24, dhcp: {start: 10.1.0.30, end: 10.1.0.20}}")[0]).toMatch(
      /ends \(10\.1\.0\.20\) before it starts/,
    );
    expect(net("{address: 10.1.0.15, prefix: 24, dhcp: {start: 10.1.0.10, end: 10.1.0.20}}")[0]).toMatch(
      /contains the network's own address/,
    );
    expect(
      net(
        "{address: 10.1.0.1, prefix: 24, dhcp: {start: 10.1.0.10, end: 10.1.0.20, hosts: [{mac: '52:54:00:00:00:01', ip: 10.2.0.5}]}}",
      )[0],
    ).toMatch(/hosts\[0\]\.ip: 10\.2\.0\.5 is outside the subnet 10\.1\.0\.0\/24/);
    expect(net("{address: 10.1.0.300, prefix: 24}")[0]).toMatch(
      /address: invalid value "10\.1\.0\.300": an IPv4 address/,
    );
  });

  it("bridge mode needs a bridge and no ipv4", () => {
    expect(errs("    networks:\n      - {name: n, mode: bridge}\n")[0]).toMatch(
      /bridge: mode "bridge" needs the name of an existing bridge/,
    );
    expect(
      errs("    networks:\n      - {name: n, mode: bridge, bridge: br0, ipv4: {address: 10.0.0.1, prefix: 24}}\n")[0],
    ).toMatch(/ipv4 is not allowed/);
  });

  it("MACs: format and unicast; unique within the policy", () => {
    const dom = (nics: string) =>
      errs(`    domains:\n      - {name: d, vcpus: 1, memory: 1GiB, interfaces: ${nics}}\n`);
    expect(dom("[{network: n, mac: '52:54:00:zz:00:01'}]")[0]).toMatch(/mac: invalid value/);
    expect(dom("[{network: n, mac: '01:00:5e:00:00:01'}]")[0]).toMatch(/multicast/);
    expect(dom("[{network: n, mac: '52:54:00:00:00:01'}, {network: n, mac: '52:54:00:00:00:01'}]")[0]).toMatch(
      /interfaces\[1\]\.mac: MAC 52:54:00:00:00:01 is also used by domains\[0\]\.interfaces\[0\]/,
    );
  });

  it("volumes: sha256 is 64 hex, URL schemes file/http/https, overlays are qcow2, duplicates rejected", () => {
    const vol = (v: string) => errs(`    volumes:\n      - {name: v, pool: p, capacity: 1GiB, ${v}}\n`);
    expect(vol("source: {url: 'ftp://x/y', sha256: " + "a".repeat(64) + "}")[0]).toMatch(
      /url: invalid value "ftp:\/\/x\/y": a file:\/\/, http:\/\/ or https:\/\/ URL/,
    );
    expect(vol("source: {url: 'https://x/y', sha256: abc}")[0]).toMatch(
      /sha256: invalid value "abc": 64 hexadecimal digits/,
    );
    expect(vol("source: {url: 'file://host/y', sha256: " + "a".repeat(64) + "}")[0]).toMatch(
      /file:\/\/\/absolute\/path/,
    );
    expect(vol("format: raw, backingVolume: base")[0]).toMatch(/needs format qcow2/);
    expect(
      errs("    volumes:\n      - {name: v, pool: p, capacity: 1}\n      - {name: v, pool: p, capacity: 2}\n")[0],
    ).toMatch(/volumes\[1\]\.name: volume "p\/v" is declared twice/);
  });

  it("references to resources this policy declares absent are errors; others (other policies, pre-existing) are allowed", () => {
    const res = `    networks:
      - {name: gone, mode: isolated, state: absent}
    pools:
      - {name: old, path: /srv/old, state: absent}
    domains:
      - name: d
        vcpus: 1
        memory: 1GiB
        disks: [{volume: old/d.qcow2}, {volume: elsewhere/d.qcow2}]
        interfaces: [{network: gone}, {network: default}]
`;
    expect(errs(res)).toEqual([
      'spec.resources.domains[0].disks[0].volume: pool "old" is declared absent in this policy',
      'spec.resources.domains[0].interfaces[0].network: network "gone" is declared absent in this policy',
    ]);
  });

  it("memory at least 1MiB in whole KiB; cdroms are pool/volume or absolute .iso paths", () => {
    expect(errs("    domains:\n      - {name: d, vcpus: 1, memory: 1000}\n")[0]).toMatch(
      /memory: must be at least 1MiB/,
    );
    expect(errs("    domains:\n      - {name: d, vcpus: 1, memory: 1GiB, cdroms: [/srv/x.img]}\n")[0]).toMatch(
      /must end in \.iso/,
    );
    expect(errs("    domains:\n      - {name: d, vcpus: 1, memory: 1GiB, cdroms: [x.iso]}\n")[0]).toMatch(
      /pool\/volume or an absolute path/,
    );
  });

  it("templates: only under spec.resources; vars must exist in the policy or the inventory", () => {
    expect(lines(load({ "p.yaml": policy("p", "    {}\n", '  targets: {hosts: ["${host.name}"]}\n') }))[0]).toMatch(
      /spec\.targets\.hosts\[0\]: templates are only expanded under spec\.resources/,
    );
    const r = load({
      "p.yaml": policy(
        "p",
        '    pools:\n      - {name: "${vars.pool}", path: "/srv/${vars.dir}"}\n',
        "  vars: {pool: x}\n",
      ),
    });
    expect(lines(r)).toEqual([
      "p.yaml:9:38: spec.resources.pools[0].path: unknown variable \"${vars.dir}\": define it in spec.vars or in an inventory group's or host's vars",
    ]);
    const withInv = load(
      {
        "p.yaml": policy(
          "p",
          '    pools:\n      - {name: "${vars.pool}", path: "/srv/${vars.dir}"}\n',
          "  vars: {pool: x}\n",
        ),
      },
      "groups:\n  g: {hosts: [h1], vars: {dir: d}}\n",
    );
    expect(lines(withInv)).toEqual([]);
    expect(
      lines(load({ "p.yaml": policy("p", '    pools:\n      - {name: "${vars.pool", path: /srv/x}\n') }))[0],
    ).toMatch(/unterminated/);
  });

  it("templated values are checked per inventory host when validating", () => {
    const r = load(
      { "p.yaml": policy("p", '    pools:\n      - {name: "p-${host.labels.rack}", path: /srv/x}\n') },
      "groups:\n  g: {hosts: [h1, h2]}\nhosts:\n  h1: {labels: {rack: r1}}\n",
    );
    expect(lines(r)).toEqual([
      'p.yaml:8:16: spec.resources.pools[0].name: for host h2: unknown label on host h2 "${host.labels.rack}" (defined: none)',
    ]);
  });
});

describe("dangling references inside the policy set (issue 21 item 10)", () => {
  const net = (state: string) => `    networks: [{name: n1, mode: isolated, state: ${state}}]\n`;
  const guest =
    "    domains: [{name: g1, vcpus: 1, memory: 64MiB, interfaces: [{network: n1}], disks: [{volume: p1/v1}]}]\n";

  it("a guest on a network, pool or volume another policy declares absent: an error at the reference", () => {
    const r = load({
      "a.yaml": policy("a", guest),
      "b.yaml": policy(
        "b",
        `${net("absent")}    pools: [{name: p1, type: dir, path: /srv/p1, state: absent}]\n    volumes: [{name: v1, pool: p1, capacity: 1GiB, state: absent}]\n`,
      ),
    });
    const tail = "on hosts both policies target; it would be removed while this policy uses it";
    expect(lines(r)).toEqual([
      `a.yaml:7:74: spec.resources.domains[0].interfaces[0].network: network "n1" is declared absent by policy "b" (b.yaml:7:23) ${tail}`,
      `a.yaml:7:97: spec.resources.domains[0].disks[0].volume: volume "p1/v1" is declared absent by policy "b" (b.yaml:9:22) ${tail}`,
      `a.yaml:7:97: spec.resources.domains[0].disks[0].volume: pool "p1" is declared absent by policy "b" (b.yaml:8:20) ${tail}`,
    ]);
    expect(r.policies.map((p) => p.name)).toEqual(["b"]);
  });

  it("no error when the two policies never share a host, or the object is present", () => {
    const inventory = "groups:\n  web: {hosts: [w1]}\n  db: {hosts: [d1]}\n";
    const apart = load(
      {
        "a.yaml": policy("a", guest, "  targets: {groups: [web]}\n"),
        "b.yaml": policy("b", net("absent"), "  targets: {groups: [db]}\n"),
      },
      inventory,
    );
    expect(lines(apart)).toEqual([]);
    expect(lines(load({ "a.yaml": policy("a", guest), "b.yaml": policy("b", net("active")) }))).toEqual([]);
  });
});
