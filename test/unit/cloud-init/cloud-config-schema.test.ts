/**
 * The user-data and vendor-data virtfleet renders validate against cloud-init's own JSON
 * Schema (test/fixtures/cloud-init/: Debian 12's cloud-init 22.4, the version a Debian 12
 * guest runs), with Ajv; every top-level key is one a cloud-init module reads (the schema
 * alone lets unknown keys through). The network-config is checked against the v2 keys cloud-init
 * 22.4's parser reads. When cloud-init's Python package can be imported (VIRTFLEET_CLOUD_INIT_PY
 * names a folder holding `cloudinit`, e.g. a `dpkg-deb -x` of Debian's package, or it is
 * installed), its own strict validator and network renderers check the same files; otherwise
 * that test is skipped, saying so.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { projectRoot } from "../../../common/index.js";
import { renderSeed } from "../../../kinds/cloud-init-seed/index.js";
import { cloudInit, fullCloudInit } from "./specs.js";

const FIXTURES = join(projectRoot(), "test", "fixtures", "cloud-init");
const schema = JSON.parse(readFileSync(join(FIXTURES, "schema-cloud-config-v1.json"), "utf8")) as Record<
  string,
  unknown
>;
// Ajv speaks draft-07 and later; the draft-04 keywords this schema uses mean the same there.
const { $schema: _draft, ...body } = schema;
const validate = new Ajv({ strict: false, allErrors: true }).compile(body);

/** Every top-level key some cloud-init module (or the base config) declares. */
const KNOWN_KEYS = new Set(
  Object.values(schema.$defs as Record<string, { properties?: Record<string, unknown> }>).flatMap((d) =>
    Object.keys(d.properties ?? {}),
  ),
);

const FILES = new Map([["/etc/virtfleet/secrets/app-token", Buffer.from("s3cret\n")]]);
const load = (text: string) => parse(text, { version: "1.1" }) as Record<string, unknown>;

function expectCloudConfig(text: string): void {
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  const doc = load(text);
  const ok = validate(doc);
  expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
  expect(ok).toBe(true);
  expect(Object.keys(doc).filter((k) => !KNOWN_KEYS.has(k))).toEqual([]);
}

describe("cloud-init 22.4's cloud-config schema", () => {
  it("the schema fixture rejects what cloud-init rejects (sanity)", () => {
    expect(validate({ write_files: [{ path: "/x", encoding: "rot13" }] })).toBe(false);
    expect(validate({ runcmd: [] })).toBe(false);
    expect(validate({ ssh_pwauth: 1 })).toBe(false);
    expect(KNOWN_KEYS.has("write_files") && KNOWN_KEYS.has("bootcmd") && KNOWN_KEYS.has("locale")).toBe(true);
  });

  it("user-data with every field validates", () => {
    expectCloudConfig(renderSeed("g1", fullCloudInit(), FILES).userData);
    // with a deferred file (owner created by the seed)
    const deferred = fullCloudInit({
      writeFiles: [{ path: "/home/ansible/x", content: "x", owner: "ansible:ansible" }],
    });
    expect(renderSeed("g1", deferred).userData).toContain("defer: true");
    expectCloudConfig(renderSeed("g1", deferred).userData);
  });

  it("user-data of the existing fields alone, and with empty command lists, validates", () => {
    expectCloudConfig(renderSeed("g1", cloudInit()).userData);
    expectCloudConfig(renderSeed("g1", cloudInit({ users: [], packages: [], runcmd: [], bootcmd: [] })).userData);
  });

  it("vendor-data validates", () => {
    expectCloudConfig(renderSeed("g1", fullCloudInit(), FILES).vendorData!);
  });

  it("network-config uses only the v2 keys cloud-init 22.4 reads for ethernets", () => {
    const doc = load(renderSeed("g1", fullCloudInit(), FILES).networkConfig!);
    expect(Object.keys(doc)).toEqual(["version", "ethernets"]);
    expect(doc.version).toBe(2);
    // cloudinit/net/network_state.py (22.4): NET_CONFIG_TO_V2 and handle_ethernets
    const known = ["match", "set-name", "dhcp4", "dhcp6", "addresses", "gateway4", "gateway6", "routes", "nameservers"];
    for (const e of Object.values(doc.ethernets as Record<string, Record<string, unknown>>)) {
      expect(Object.keys(e).filter((k) => !known.includes(k))).toEqual([]);
      for (const r of (e.routes ?? []) as { to: string }[]) expect(r.to).toMatch(/\/\d+$/);
    }
  });
});

function cloudInitPython(): { python: string; env: NodeJS.ProcessEnv } | null {
  const extra = process.env.VIRTFLEET_CLOUD_INIT_PY;
  const env = extra ? { ...process.env, PYTHONPATH: extra } : process.env;
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(python, ["-c", "import cloudinit.config.schema, cloudinit.net.eni"], { env, stdio: "ignore" });
      return { python, env };
    } catch {
      // next
    }
  }
  return null;
}
const py = cloudInitPython();

describe("cloud-init's own code", () => {
  it.skipIf(py === null)(
    "its strict schema validation and its eni/networkd renderers accept the seed (needs cloud-init's Python package: VIRTFLEET_CLOUD_INIT_PY)",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "vft-ci-py-"));
      try {
        const seed = renderSeed("g1", fullCloudInit(), FILES);
        writeFileSync(join(dir, "user-data"), seed.userData);
        writeFileSync(join(dir, "vendor-data"), seed.vendorData!);
        writeFileSync(join(dir, "network-config"), seed.networkConfig!);
        const out = JSON.parse(
          execFileSync(py!.python, [join(FIXTURES, "check-with-cloud-init.py"), dir], {
            env: py!.env,
            encoding: "utf8",
          }),
        ) as { schema: Record<string, string>; rendered: Record<string, string> };
        expect(out.schema).toEqual({ "user-data": "ok", "vendor-data": "ok" });
        const eni = out.rendered["/etc/network/interfaces"]!;
        expect(eni).toContain("address 192.168.110.10/24");
        expect(eni).toContain("post-up route add default gw 192.168.110.1");
        expect(eni).toMatch(/iface eth0 inet6 static\n\s+address 2001:db8::10\/64\n\s+gateway 2001:db8::1/);
        expect(out.rendered["/etc/udev/rules.d/70-persistent-net.rules"]).toContain(
          'ATTR{address}=="52:54:00:00:00:10", NAME="eth0"',
        );
        const networkd = out.rendered["/etc/systemd/network/10-cloud-init-eth0.network"]!;
        expect(networkd).toContain("MACAddress=52:54:00:00:00:10");
        expect(networkd).toContain("Destination=0.0.0.0/0");
        expect(networkd).toContain("DNS=192.168.110.1");
        expect(networkd).not.toContain("::/64");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
