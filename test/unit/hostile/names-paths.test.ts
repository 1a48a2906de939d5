/**
 * Path traversal and hostile names, at both levels: the policy loader refuses them with
 * file:line:col (also when they only appear after templating), and the agent's resources
 * refuse a resolved spec carrying them even when it never went through the loader (a
 * bundle from a bad peer or a corrupt cache), so nothing reads or writes outside a pool.
 */
import { describe, expect, it } from "vitest";
import { BundleError, parseBundle } from "../../../agent/enforce/index.js";
import {
  CloudInitSeedResource,
  DomainResource,
  HostResource,
  NetworkResource,
  PoolResource,
  VolumeResource,
  type ResourceContext,
} from "../../../kinds/index.js";
import {
  resolvePolicy,
  ValidationError,
  type DomainSpec,
  type PoolSpec,
  type ResolvedPolicy,
  type VolumeSpec,
} from "../../../common/index.js";
import { load, lines, policy } from "../policy/helpers.js";
import { cloudInit, domainWithCloudInit } from "../cloud-init/specs.js";
import * as S from "../xml/specs.js";

const TRAVERSAL_PATHS = [
  "../x",
  "relative/dir",
  "/srv/../etc",
  "/srv/./x",
  "/srv//x",
  "/srv/x/",
  "/",
  "/srv/a\u0000b",
  "/srv/ x",
  "/srv/x ",
  "/srv/\nx",
];
const BAD_VOLUME_NAMES = [
  "../x",
  "a/b",
  "..",
  ".",
  ".hidden",
  "x..y",
  "a\u0000b",
  "-rf",
  "v".repeat(256),
  "a b",
  "a\\b",
  "a\nb",
];
const BAD_RESOURCE_NAMES = ["../x", "a/b", "a.b", "", "-x", "a\u0000", "n".repeat(64), "a b", "a;b"];

/** The loader's errors for a one-resource policy; `res` is YAML under `resources:`. */
function errors(res: string, spec = ""): string[] {
  return lines(load({ "p.yaml": policy("p", res, spec) }));
}

const q = (s: string) => JSON.stringify(s);

describe("policy loader: paths and names", () => {
  it.each(TRAVERSAL_PATHS)("pool path %j is refused with line:col", (path) => {
    const e = errors(`    pools:\n      - {name: p1, path: ${q(path)}}\n`);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^p\.yaml:8:\d+: spec\.resources\.pools\[0\]\.path: /);
  });

  it.each(BAD_VOLUME_NAMES)("volume name %j (also as backingVolume and in a disk ref) is refused", (name) => {
    expect(errors(`    volumes:\n      - {name: ${q(name)}, pool: p1, capacity: 1MiB}\n`)[0]).toMatch(
      /volumes\[0\]\.name: /,
    );
    expect(errors(`    volumes:\n      - {name: v, pool: p1, capacity: 1MiB, backingVolume: ${q(name)}}\n`)[0]).toMatch(
      /volumes\[0\]\.backingVolume: /,
    );
    expect(
      errors(`    domains:\n      - {name: d, vcpus: 1, memory: 64MiB, disks: [{volume: ${q(`p1/${name}`)}}]}\n`)[0],
    ).toMatch(/domains\[0\]\.disks\[0\]\.volume: /);
  });

  it.each(BAD_RESOURCE_NAMES)(
    "pool, network and domain name %j is refused (a domain name also names its seed file)",
    (name) => {
      expect(errors(`    pools:\n      - {name: ${q(name)}, path: /srv/p}\n`)[0]).toMatch(/pools\[0\]\.name: /);
      expect(errors(`    networks:\n      - {name: ${q(name)}, mode: isolated}\n`)[0]).toMatch(/networks\[0\]\.name: /);
      expect(errors(`    domains:\n      - {name: ${q(name)}, vcpus: 1, memory: 64MiB}\n`)[0]).toMatch(
        /domains\[0\]\.name: /,
      );
    },
  );

  it("cdrom paths are absolute, normalised .iso files; cdrom refs are pool/volume", () => {
    for (const cd of ["/srv/../etc/x.iso", "rel.iso", "/srv/x.img", "/srv/x.iso/", "p1/../x", "p1/a/b"]) {
      expect(errors(`    domains:\n      - {name: d, vcpus: 1, memory: 64MiB, cdroms: [${q(cd)}]}\n`)[0]).toMatch(
        /domains\[0\]\.cdroms\[0\]: /,
      );
    }
  });

  it("a path that only becomes hostile after templating is refused for that host, with line:col", () => {
    const r = load({
      "p.yaml": policy("p", "    pools:\n      - {name: p1, path: '/srv/${vars.dir}'}\n", "  vars: {dir: ok}\n"),
    });
    expect(lines(r)).toEqual([]);
    const p = r.policies[0]!;
    expect(() => resolvePolicy(p, { name: "h1", vars: { dir: "../../etc" } })).toThrow(
      /p\.yaml:9:\d+: spec\.resources\.pools\[0\]\.path: for host h1: "\/srv\/\.\.\/\.\.\/etc" must not contain "\.\."/,
    );
    expect(() => resolvePolicy(p, { name: "h1", vars: { dir: "x\ny" } })).toThrow(
      /for host h1: the control character U\+000A \(newline\)/,
    );
    expect(resolvePolicy(p, { name: "h1", vars: { dir: "images" } }).resources.pools[0]!.path).toBe("/srv/images");
  });
});

describe("agent resources: a resolved spec that bypassed the loader is refused", () => {
  const ctx = {} as ResourceContext;
  const env = { domainType: "kvm" as const };
  const pool = (over: Partial<PoolSpec>): PoolSpec => ({ ...S.dirPool(), ...over });
  const vol = (over: Partial<VolumeSpec>): VolumeSpec => ({ ...S.rawVolume(), ...over });
  const dom = (over: Partial<DomainSpec>): DomainSpec => ({ ...S.tinyDomain(), ...over });

  it.each(TRAVERSAL_PATHS)("pool path %j", (path) => {
    expect(() => new PoolResource(pool({ path }), "p", [], new Set(), ctx)).toThrow(ValidationError);
    expect(() => new PoolResource(pool({ path }), "p", [], new Set(), ctx)).toThrow(
      /^pool "vft-fixture-pool" refused, its spec is invalid: path: /,
    );
  });

  it.each(BAD_VOLUME_NAMES)("volume name %j, as name, backing volume, disk and cdrom volume", (name) => {
    expect(() => new VolumeResource(vol({ name }), "p", [], ctx)).toThrow(/refused, its spec is invalid: name: /);
    expect(() => new VolumeResource(vol({ format: "qcow2", backingVolume: name }), "p", [], ctx)).toThrow(
      /backingVolume: /,
    );
    expect(
      () => new DomainResource(dom({ disks: [{ pool: "p1", volume: name, bus: "virtio" }] }), "p", [], ctx, env),
    ).toThrow(/disks\[0\]\.volume: /);
    expect(() => new DomainResource(dom({ cdroms: [{ pool: "p1", volume: name }] }), "p", [], ctx, env)).toThrow(
      /cdroms\[0\]\.volume: /,
    );
  });

  it.each(BAD_RESOURCE_NAMES)("resource name %j: pool, network, domain, seed", (name) => {
    expect(() => new PoolResource(pool({ name }), "p", [], new Set(), ctx)).toThrow(/name: /);
    expect(() => new NetworkResource({ ...S.isolatedNetwork(), name }, "p", [], ctx)).toThrow(/name: /);
    expect(() => new DomainResource(dom({ name }), "p", [], ctx, env)).toThrow(/name: /);
    expect(() => new CloudInitSeedResource(domainWithCloudInit(name), "p", [], ctx)).toThrow(ValidationError);
  });

  it("cdrom paths, file URLs, cloud-init values and host keys are checked too", () => {
    for (const path of ["/srv/../etc/shadow.iso", "rel.iso", "/etc/shadow"]) {
      expect(() => new DomainResource(dom({ cdroms: [{ path }] }), "p", [], ctx, env)).toThrow(/cdroms\[0\]\.path: /);
    }
    expect(
      () =>
        new VolumeResource(
          vol({ source: { url: "file:///srv/a%2F..%2F..%2Fetc%2Fshadow", sha256: "a".repeat(64) } }),
          "p",
          [],
          ctx,
        ),
    ).toThrow(/source\.url: /);
    expect(
      () => new VolumeResource(vol({ source: { url: "gopher://x/y", sha256: "a".repeat(64) } }), "p", [], ctx),
    ).toThrow(/source\.url: /);
    const badUser = cloudInit({
      users: [{ name: "root\nx", groups: [], sudo: null, passwordHash: null, sshAuthorizedKeys: [] }],
    });
    expect(() => new CloudInitSeedResource(domainWithCloudInit("d", { cloudInit: badUser }), "p", [], ctx)).toThrow(
      /cloudInit\.users\[0\]\.name/,
    );
    const plain = cloudInit({
      users: [{ name: "bob", groups: [], sudo: null, passwordHash: "hunter2", sshAuthorizedKeys: [] }],
    });
    let message = "";
    try {
      new CloudInitSeedResource(domainWithCloudInit("d", { cloudInit: plain }), "p", [], ctx);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/passwordHash: invalid value \(not shown\)/);
    expect(message).not.toContain("hunter2");
    expect(
      () =>
        new HostResource(
          {
            requireVirtualization: false,
            kernelModules: [],
            sysctl: { "net.ipv4.ip_forward": "1\n0" },
            minFreeMemoryBytes: null,
          },
          "p",
        ),
    ).toThrow(/sysctl\.net\.ipv4\.ip_forward: the control character U\+000A/);
  });

  it("a bundle carrying such a spec is refused whole (the one in force stays), naming the problem", () => {
    const bad: ResolvedPolicy = {
      name: "evil",
      description: null,
      mode: "enforce",
      priority: 0,
      source: { file: "x", line: 1, col: 1 },
      resources: {
        host: null,
        networks: [],
        pools: [pool({ name: "p1", path: "/var/lib/libvirt/../../../etc" })],
        volumes: [vol({ pool: "p1", name: "../../root/.ssh/authorized_keys" })],
        domains: [],
      },
    };
    const wire = {
      revision: "r1",
      generation: 1,
      policies: [{ name: "evil", revision: "x", mode: "enforce", resolvedJson: JSON.stringify(bad) }],
    };
    let err: unknown;
    try {
      parseBundle(wire);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/its resources are inconsistent/);
    expect(String(((err as Error).cause as Error).message)).toMatch(
      /pool "p1" refused, its spec is invalid: path: .* must not contain "\.\."/,
    );
  });
});
