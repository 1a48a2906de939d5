import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveMac, describeHost, PolicyValidationError, resolvePolicy } from "../../../common/index.js";
import { lines, load, policy } from "./helpers.js";

const MINIMAL = policy(
  "minimal",
  `    host: {}
    networks:
      - {name: n1, mode: isolated}
    pools:
      - {name: p1, path: /srv/p1}
    volumes:
      - {name: v1.qcow2, pool: p1, capacity: 1GiB}
    domains:
      - name: d1
        vcpus: 1
        memory: 512MiB
        disks: [{volume: p1/v1.qcow2}]
        cdroms: [p1/seed.iso, /srv/iso/install.iso]
        interfaces: [{network: n1}, {network: default, model: e1000}]
        cloudInit: {users: [{name: ops}]}
`,
);

describe("resolvePolicy", () => {
  it("applies the documented defaults, sizes in bytes, every MAC pinned", () => {
    const r = load({ "m.yaml": MINIMAL });
    expect(lines(r)).toEqual([]);
    const p = resolvePolicy(r.policies[0], { name: "kvm01.lab" });
    expect(p).toMatchObject({
      name: "minimal",
      description: null,
      mode: "enforce",
      priority: 0,
      source: { file: "m.yaml", line: 1, col: 1 },
    });
    expect(p.resources.host).toEqual({
      requireVirtualization: false,
      kernelModules: [],
      sysctl: {},
      minFreeMemoryBytes: null,
    });
    expect(p.resources.networks).toEqual([
      { name: "n1", mode: "isolated", bridge: null, ipv4: null, mtu: null, autostart: false, state: "active" },
    ]);
    expect(p.resources.pools).toEqual([
      { name: "p1", type: "dir", path: "/srv/p1", autostart: false, state: "active" },
    ]);
    expect(p.resources.volumes).toEqual([
      {
        name: "v1.qcow2",
        pool: "p1",
        format: null,
        capacityBytes: 1024 ** 3,
        backingVolume: null,
        source: null,
        state: "present",
      },
    ]);
    expect(p.resources.domains[0]).toEqual({
      name: "d1",
      vcpus: 1,
      memoryBytes: 512 * 1024 ** 2,
      cpu: "host-model",
      machine: null,
      disks: [{ pool: "p1", volume: "v1.qcow2", bus: "virtio" }],
      cdroms: [{ pool: "p1", volume: "seed.iso" }, { path: "/srv/iso/install.iso" }],
      interfaces: [
        { network: "n1", model: "virtio", mac: deriveMac("d1", 0) },
        { network: "default", model: "e1000", mac: deriveMac("d1", 1) },
      ],
      cloudInit: {
        hostname: null,
        users: [{ name: "ops", groups: [], sudo: null, passwordHash: null, sshAuthorizedKeys: [] }],
        packages: [],
        packageUpdate: false,
      },
      graphics: "none",
      autostart: false,
      state: "running",
      restartOnChange: false,
    });
    expect(p.locations["domain/d1"]).toEqual({ file: "m.yaml", line: 15, col: 15 });
    expect(p.locations["volume/p1/v1.qcow2"]).toMatchObject({ line: 13 });
  });

  it("derived MACs are stable, unicast, locally administered, 52:54:00-prefixed", () => {
    const mac = deriveMac("web-01", 0);
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(deriveMac("web-01", 0)).toBe(mac);
    expect(deriveMac("web-01", 1)).not.toBe(mac);
    // sha256("web-01/0") starts with these three bytes; changing this breaks every fleet's MACs.
    expect(mac).toBe(
      `52:54:00:${createHash("sha256").update("web-01/0").digest("hex").slice(0, 6).match(/../g)!.join(":")}`,
    );
  });

  it("templates: host vars over group vars over policy vars; host name and labels", () => {
    const r = load(
      {
        "t.yaml": policy(
          "t",
          `    pools:
      - {name: "pool-\${host.shortname}", path: "/srv/\${vars.dir}/\${host.labels.rack}"}
    domains:
      - {name: "\${vars.guest}", vcpus: 1, memory: "\${vars.mem}"}
`,
          "  vars: {dir: policy, guest: from-policy, mem: 256MiB}\n",
        ),
      },
      "groups:\n  g: {hosts: [kvm01.lab], vars: {dir: group, guest: from-group}}\nhosts:\n  kvm01.lab: {labels: {rack: r7}, vars: {guest: from-host}}\n",
    );
    expect(lines(r)).toEqual([]);
    const info = describeHost(r.inventory, "kvm01.lab");
    const p = resolvePolicy(r.policies[0], { name: "kvm01.lab", labels: info.labels, vars: info.vars });
    expect(p.resources.pools[0]).toMatchObject({ name: "pool-kvm01", path: "/srv/group/r7" });
    expect(p.resources.domains[0]).toMatchObject({ name: "from-host", memoryBytes: 256 * 1024 ** 2 });
  });

  it("an unknown variable at resolve time is an error naming file:line:col and the host", () => {
    const r = load({ "t.yaml": policy("t", '    pools:\n      - {name: p, path: "/srv/${host.labels.rack}"}\n') });
    expect(lines(r)).toEqual([]);
    let err: unknown;
    try {
      resolvePolicy(r.policies[0], { name: "kvm09.lab", labels: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect((err as PolicyValidationError).issues).toEqual([
      {
        file: "t.yaml",
        line: 8,
        col: 25,
        path: "spec.resources.pools[0].path",
        message: 'for host kvm09.lab: unknown label on host kvm09.lab "${host.labels.rack}" (defined: none)',
      },
    ]);
    expect((err as PolicyValidationError).code).toBe("INVALID_INPUT");
  });

  it("expanded values are checked again (a var that makes a bad name or path fails for that host)", () => {
    const r = load({
      "t.yaml": policy(
        "t",
        '    pools:\n      - {name: "${vars.n}", path: "/srv/${vars.d}"}\n',
        "  vars: {n: ok, d: x}\n",
      ),
    });
    expect(lines(r)).toEqual([]);
    expect(() => resolvePolicy(r.policies[0], { name: "h", vars: { n: "../etc" } })).toThrow(
      /pools\[0\]\.name: for host h: invalid value "\.\.\/etc"/,
    );
    expect(() => resolvePolicy(r.policies[0], { name: "h", vars: { d: "../../etc" } })).toThrow(
      /must not contain "\.\."/,
    );
  });
});

// Issue 21 item 19: removing an object needs only what identifies it.
describe("state: absent needs only the identity", () => {
  const ABSENT = policy(
    "gone",
    `    networks:
      - {name: n1, state: absent}
    pools:
      - {name: p1, state: absent}
    volumes:
      - {name: v1.qcow2, pool: p1, state: absent}
    domains:
      - {name: d1, state: absent}
`,
  );

  it("passes validation with name (pool + name for a volume) and state alone, and resolves", () => {
    const r = load({ "g.yaml": ABSENT });
    expect(lines(r)).toEqual([]);
    const p = resolvePolicy(r.policies[0], { name: "kvm01.lab" });
    expect(p.resources.networks).toMatchObject([{ name: "n1", state: "absent" }]);
    expect(p.resources.pools).toMatchObject([{ name: "p1", state: "absent" }]);
    expect(p.resources.volumes).toMatchObject([{ name: "v1.qcow2", pool: "p1", state: "absent" }]);
    expect(p.resources.domains).toMatchObject([{ name: "d1", state: "absent" }]);
  });

  it("still needs the identity when absent", () => {
    const r = load({
      "g.yaml": policy(
        "gone",
        "    volumes:\n      - {name: v1.qcow2, state: absent}\n    domains:\n      - {state: absent}\n",
      ),
    });
    expect(lines(r)).toEqual([
      'g.yaml:8:9: spec.resources.volumes[0].pool: missing required field "pool"',
      'g.yaml:10:9: spec.resources.domains[0].name: missing required field "name"',
    ]);
  });

  it("a present object still needs every required field, named with where it goes", () => {
    const r = load({
      "g.yaml": policy(
        "p",
        `    networks:
      - {name: n1}
    pools:
      - {name: p1, state: inactive}
    volumes:
      - {name: v1.qcow2, pool: p1}
    domains:
      - {name: d1, state: shutoff}
`,
      ),
    });
    const why = "(only state: absent may leave it out)";
    expect(lines(r)).toEqual([
      `g.yaml:8:9: spec.resources.networks[0].mode: missing required field "mode" ${why}`,
      `g.yaml:10:9: spec.resources.pools[0].path: missing required field "path" ${why}`,
      `g.yaml:12:9: spec.resources.volumes[0].capacity: missing required field "capacity" ${why}`,
      `g.yaml:14:9: spec.resources.domains[0].vcpus: missing required field "vcpus" ${why}`,
      `g.yaml:14:9: spec.resources.domains[0].memory: missing required field "memory" ${why}`,
    ]);
  });
});
