/**
 * The graphics password file (read by the agent: owner, mode, content rules; errors name the
 * host and path, never the content), the password drift check (its change carries no password
 * bytes), and the plan-stage host checks of PCI host devices against a fake /sys and /proc.
 */
import { chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Hypervisor } from "../../../libvirt/index.js";
import { checkDevicesOnHost, diffGraphicsPassword, readPasswordFile } from "../../../kinds/domain/devices/index.js";
import { applyToJson, domainLabels, renderApply } from "../../../cli/output/apply-view.js";
import { secretFile } from "../../harness/processes.js";
import { tinyDomainSpec } from "../../harness/specs.js";

const dir = mkdtempSync(join(tmpdir(), "vft-devsec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = "Zq9-pw";

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a failure");
}

describe("the graphics password file", () => {
  const asRoot = process.getuid?.() === 0;

  it("reads one line (trailing line breaks dropped)", async () => {
    expect(await readPasswordFile(secretFile(dir, "ok", `${SECRET}\r\n`), "vnc", "kvm01")).toBe(SECRET);
  });

  it.each<[string, () => string, RegExp]>([
    ["group-readable", () => secretFile(dir, "g", SECRET, 0o640), /accessible by group \(mode 0640\).*chmod 600/],
    ["world-readable", () => secretFile(dir, "w", SECRET, 0o604), /accessible by others/],
    ["missing", () => join(dir, "nope"), /does not exist/],
    [
      "a symlink",
      () => {
        const l = join(dir, "link");
        symlinkSync(secretFile(dir, "target", SECRET), l);
        return l;
      },
      /symbolic link/,
    ],
    [
      "a directory",
      () => {
        const d = join(dir, "d");
        mkdirSync(d, { mode: 0o700 });
        return d;
      },
      /not a regular file/,
    ],
    ["empty", () => secretFile(dir, "e", "\n"), /is empty/],
    ["too long for VNC", () => secretFile(dir, "long", `${SECRET}-and-more`), /more than 8 characters/],
    ["two lines", () => secretFile(dir, "two", `${SECRET}\nsecond`), /one line of printable text/],
  ])("refuses a file that is %s, naming host, field and path but never the content", async (_w, make, want) => {
    const path = make();
    const msg = await failure(readPasswordFile(path, "vnc", "kvm01"));
    expect(msg).toMatch(want);
    expect(msg).toContain("host kvm01");
    expect(msg).toContain("graphics.passwordFile");
    expect(msg).toContain(path);
    expect(msg).not.toContain(SECRET);
  });

  it.runIf(asRoot)("refuses a file not owned by root", async () => {
    const p = secretFile(dir, "owned", SECRET);
    chownSync(p, 65534, 65534);
    const msg = await failure(readPasswordFile(p, "vnc", "kvm01"));
    expect(msg).toMatch(/owned by uid 65534: it must be owned by root/);
    expect(msg).not.toContain(SECRET);
  });

  it("SPICE passwords may be longer than 8 characters", async () => {
    expect(await readPasswordFile(secretFile(dir, "spice", "a-long-spice-password"), "spice", "kvm01")).toBe(
      "a-long-spice-password",
    );
  });
});

describe("password drift", () => {
  const spec = tinyDomainSpec("g", { graphics: { type: "vnc", listen: "127.0.0.1", passwordFile: "/etc/pw" } });
  const xml = (pw: string | null) =>
    `<domain><name>g</name><devices><graphics type='vnc'${pw === null ? "" : ` passwd='${pw}'`}/></devices></domain>`;
  const hv = (inactive: string | null, live: string | null) =>
    ({
      domainXml: async (_r: unknown, o: { inactive?: boolean; secure?: boolean }) => {
        if (!o.secure) throw new Error("the password check reads the secure XML");
        return xml(o.inactive ? inactive : live);
      },
    }) as unknown as Hypervisor;
  const ref = { name: "g", uuid: "u", id: 1 };

  it("no change when the guest has the file's password, in its definition and live", async () => {
    expect(await diffGraphicsPassword(hv(SECRET, SECRET), ref, spec, SECRET, true, [])).toEqual([]);
  });

  it("one live change when either side differs; the change carries no password bytes", async () => {
    for (const [inactive, live, where] of [
      ["other", SECRET, "definition"],
      [SECRET, "other", "running guest"],
      [null, null, "definition and running guest"],
    ] as const) {
      const c = await diffGraphicsPassword(hv(inactive, live), ref, spec, SECRET, true, []);
      expect(c).toHaveLength(1);
      expect(c[0]).toMatchObject({ field: "graphics.password", disruption: "live", to: "the password in /etc/pw" });
      expect(String(c[0]!.from)).toContain(where);
      expect(JSON.stringify(c)).not.toContain(SECRET);
      expect(JSON.stringify(c)).not.toContain("other");
    }
  });

  it("not compared when the console itself changes (the new console brings its password)", async () => {
    const change = { field: "graphics", from: "none", to: "vnc", disruption: "restart" as const };
    expect(await diffGraphicsPassword(hv("x", "y"), ref, spec, SECRET, true, [change])).toEqual([]);
  });
});

describe("PCI host devices, checked on the host in the plan stage", () => {
  const root = mkdtempSync(join(tmpdir(), "vft-sysroot-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const nicAddr = "0000:00:03.0";
  const freeAddr = "0000:3b:00.1";
  const takenAddr = "0000:3b:00.2";
  mkdirSync(join(root, "proc/net"), { recursive: true });
  for (const a of [nicAddr, freeAddr, takenAddr])
    mkdirSync(join(root, "sys/devices/pci0000:00", a), { recursive: true });
  mkdirSync(join(root, "sys/bus/pci/devices"), { recursive: true });
  for (const a of [nicAddr, freeAddr, takenAddr])
    symlinkSync(join(root, "sys/devices/pci0000:00", a), join(root, "sys/bus/pci/devices", a));
  mkdirSync(join(root, "sys/class/net/eno1"), { recursive: true });
  symlinkSync(join(root, "sys/devices/pci0000:00", nicAddr), join(root, "sys/class/net/eno1/device"));
  writeFileSync(
    join(root, "proc/net/route"),
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
      "eno1\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
      "eno1\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
  );
  const other = `<domain><name>other</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x3b' slot='0x00' function='0x2'/></source></hostdev></devices></domain>`;
  const self = `<domain><name>g</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x3b' slot='0x00' function='0x1'/></source></hostdev></devices></domain>`;
  const hv = {
    domains: async () => [
      { name: "g", uuid: "1", id: -1 },
      { name: "other", uuid: "2", id: 3 },
    ],
    domainXml: async (r: { name: string }) => (r.name === "other" ? other : self),
  } as unknown as Hypervisor;
  const check = (pci: string[]) =>
    checkDevicesOnHost(tinyDomainSpec("g", { hostdevs: pci.map((p) => ({ pci: p })) }), hv, "kvm01", root);

  it("a free device on the host passes (the guest's own use of it does not count)", async () => {
    await expect(check([freeAddr])).resolves.toBeUndefined();
  });

  it("a missing device, another guest's, and the default-route NIC fail, naming host and field", async () => {
    const msg = await failure(check(["0000:99:00.0", takenAddr, nicAddr]));
    expect(msg).toMatch(/^host kvm01: domain g: /);
    expect(msg).toContain("hostdevs[0].pci: PCI device 0000:99:00.0 does not exist on this host");
    expect(msg).toContain("hostdevs[1].pci: PCI device 0000:3b:00.2 is already assigned to guest other");
    expect(msg).toContain(
      "hostdevs[2].pci: PCI device 0000:00:03.0 is the host's NIC eno1, which carries its default route",
    );
    expect(msg).toMatch(/nothing|not defined or changed/);
  });
});

describe("virtiofs shares, checked on the host in the plan stage", () => {
  const hv = { domains: async () => [] } as unknown as Hypervisor;
  const check = (source: string) =>
    checkDevicesOnHost(
      tinyDomainSpec("g", { filesystems: [{ source, target: "s", driver: "virtiofs" }] }),
      hv,
      "kvm01",
    );

  it("an existing directory passes; a missing source or a file fails naming host and field", async () => {
    await expect(check(dir)).resolves.toBeUndefined();
    expect(await failure(check(join(dir, "no-such-dir")))).toMatch(
      /^host kvm01: domain g: filesystems\[0\]\.source: .*no-such-dir does not exist on this host/,
    );
    expect(await failure(check(secretFile(dir, "plain", "x")))).toMatch(
      /filesystems\[0\]\.source: .*plain is not a directory/,
    );
  });
});

describe("labels in the apply output", () => {
  const policies = [{ resources: { domains: [{ name: "web", labels: { zone: "a", tier: "web" } }, { name: "db" }] } }];
  const report = {
    dryRun: false,
    durationMs: 5,
    summary: { ok: 2, changed: 0, drift: 0, failed: 0, skipped: 0, blocked: 0, conflict: 0 },
    resources: [
      { kind: "domain", name: "web", policy: "p", outcome: "ok", changes: [] },
      { kind: "domain", name: "db", policy: "p", outcome: "ok", changes: [] },
    ],
  } as unknown as Parameters<typeof renderApply>[1];

  it("shows a domain's labels in the text and --json output, only where it has some", () => {
    const labels = domainLabels(policies);
    const text = renderApply("kvm01", report, labels);
    expect(text).toMatch(/domain web {2}\{tier=web, zone=a\}\n/);
    expect(text).toMatch(/domain db\n/);
    const json = applyToJson("kvm01", report, labels);
    expect(json.resources[0]!.labels).toEqual({ zone: "a", tier: "web" });
    expect("labels" in json.resources[1]!).toBe(false);
  });
});
