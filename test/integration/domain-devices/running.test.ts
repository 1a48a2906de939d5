/**
 * The devices and metadata areas on RUNNING guests, through `virtfleet apply --local` (a real
 * process against the real libvirtd), verified with virsh:
 * - a guest with the guest-agent channel, an RNG, a watchdog and VNC with a password file
 *   starts; the password is set (`virsh dumpxml --security-info`), and never appears in the
 *   CLI's output (text, --json, errors) or in the change list;
 * - a second apply changes nothing; the password file's content changed is one live change,
 *   applied to the running guest with update-device; a password changed by hand on the running
 *   guest (`virsh update-device`) or in the definition (a redefinition) is drift;
 * - title and labels are changed live (no pending restart); an RNG is hot-plugged;
 * - a virtiofs share starts for real (virtiofsd from QEMU's package);
 * - bad host input fails in the plan stage naming host and field: a group-readable password
 *   file (its path, never its content), a PCI address the host does not have.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../../harness/virsh.js";
import { withXmlFile } from "../xml/virsh-xml.js";

const prefix = testPrefix();
const dir = tempDir("vft-devices-");
const policies = join(dir.path, "policies");
const secrets = join(dir.path, "secrets");
const guest = `${prefix}dev`;
const pwFile = join(secrets, "vnc-pw");
const PW1 = "Vnc1-a7c";
const PW2 = "Vnc2-b8d";
const PW_HAND = "Hand-9e0";
const HOST = "kvm-devices-test";

type Domain = Record<string, unknown>;

function writePolicy(domains: Domain[]): void {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "devices" },
    spec: { resources: { domains } },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "devices.yaml"), stringify(doc));
}

function writePassword(value: string, mode = 0o600): void {
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  writeFileSync(pwFile, `${value}\n`, { mode });
  chmodSync(pwFile, mode);
}

function base(over: Domain = {}): Domain {
  return {
    name: guest,
    vcpus: 1,
    memory: "64MiB",
    state: "running",
    title: "Devices guest",
    labels: { tier: "web", zone: "a" },
    guestAgent: true,
    watchdog: { model: "i6300esb", action: "poweroff" },
    graphics: { type: "vnc", passwordFile: pwFile },
    ...over,
  };
}

interface Applied {
  code: number | null;
  stdout: string;
  stderr: string;
  domain: {
    outcome: string;
    changes: { field: string; from: unknown; to: unknown; disruption: string }[];
    pendingRestart?: boolean;
    error?: string;
    labels?: Record<string, string>;
  };
}

async function apply(...extra: string[]): Promise<Applied> {
  const r = await runCli([
    "apply",
    policies,
    "--local",
    "--json",
    "--name",
    HOST,
    "--shutdown-timeout",
    "2s",
    ...extra,
  ]);
  const doc = JSON.parse(r.stdout);
  const domain = doc.resources.find((x: { kind: string; name: string }) => x.kind === "domain" && x.name === guest);
  return { ...r, domain };
}

/** No password's bytes anywhere in what a run printed. */
function expectNoPassword(r: { stdout: string; stderr: string }): void {
  for (const pw of [PW1, PW2, PW_HAND]) {
    expect(r.stdout).not.toContain(pw);
    expect(r.stderr).not.toContain(pw);
  }
}

const securePasswd = async (...flags: string[]) =>
  /<graphics [^>]*passwd='([^']*)'/.exec(await virsh("dumpxml", "--security-info", ...flags, guest))?.[1] ?? null;

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("a running guest with guest agent, watchdog and a VNC password", () => {
  it("is defined and started with every device; the password is set and never printed", async () => {
    writePassword(PW1);
    writePolicy([base()]);
    const r = await apply();
    expectNoPassword(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.domain.outcome).toBe("changed");
    expect(await virsh("domstate", guest)).toMatch(/running/);
    const live = await virsh("dumpxml", guest);
    expect(live).toMatch(/<target type='virtio' name='org.qemu.guest_agent.0'/);
    expect(live).toMatch(/<watchdog model='i6300esb' action='poweroff'/);
    expect(live).not.toContain(PW1);
    expect(await securePasswd()).toBe(PW1);
    expect(await securePasswd("--inactive")).toBe(PW1);
    expect((await virsh("domdisplay", guest)).trim()).toMatch(/^vnc:\/\/127\.0\.0\.1:\d+$/);
    expect((await virsh("desc", guest, "--title")).trim()).toBe("Devices guest");
    expect(r.domain.labels).toEqual({ tier: "web", zone: "a" });
  });

  it("a second apply changes nothing", async () => {
    const r = await apply();
    expect(r.domain.outcome, JSON.stringify(r.domain)).toBe("ok");
    expectNoPassword(r);
  });

  it("the apply text output shows the guest's labels", async () => {
    const r = await runCli(["apply", policies, "--local", "--name", HOST, "--dry-run"]);
    expect(r.stdout).toMatch(new RegExp(`domain ${guest}\\s+\\{tier=web, zone=a\\}`));
    expectNoPassword(r);
  });

  it("a new password in the file is one live change, applied to the running guest", async () => {
    writePassword(PW2);
    const dry = await apply("--dry-run");
    expectNoPassword(dry);
    expect(dry.domain.changes.map((c) => [c.field, c.disruption])).toEqual([["graphics.password", "live"]]);
    const r = await apply();
    expectNoPassword(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.domain.pendingRestart).toBeFalsy();
    expect(await securePasswd()).toBe(PW2);
    expect(await securePasswd("--inactive")).toBe(PW2);
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("a password changed by hand on the running guest (virsh update-device) is drift, repaired live", async () => {
    const xml = `<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='${PW_HAND}'><listen type='address' address='127.0.0.1'/></graphics>`;
    await withXmlFile(xml, (f) => virsh("update-device", guest, f, "--live"));
    expect(await securePasswd()).toBe(PW_HAND);
    const dry = await apply("--dry-run");
    expect(dry.code).toBe(3);
    expectNoPassword(dry);
    expect(dry.domain.changes).toEqual([
      {
        field: "graphics.password",
        from: expect.not.stringContaining(PW_HAND),
        to: expect.not.stringContaining(PW2),
        disruption: "live",
      },
    ]);
    expect((await apply()).code).toBe(0);
    expect(await securePasswd()).toBe(PW2);
  });

  it("a password changed by hand in the definition (a redefinition) is drift too", async () => {
    const secure = await virsh("dumpxml", "--inactive", "--security-info", guest);
    await withXmlFile(secure.replace(`passwd='${PW2}'`, `passwd='${PW_HAND}'`), (f) => virsh("define", f));
    expect(await securePasswd("--inactive")).toBe(PW_HAND);
    const dry = await apply("--dry-run");
    expectNoPassword(dry);
    expect(dry.domain.changes.map((c) => c.field)).toEqual(["graphics.password"]);
    expect((await apply()).code).toBe(0);
    expect(await securePasswd("--inactive")).toBe(PW2);
  });

  it("title and labels are changed live: no restart pending", async () => {
    writePolicy([base({ title: "Renamed guest", labels: { tier: "db" } })]);
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(r.domain.changes.map((c) => [c.field, c.disruption]).sort()).toEqual([
      ["labels", "live"],
      ["title", "live"],
    ]);
    expect(r.domain.pendingRestart).toBeFalsy();
    expect((await virsh("desc", guest, "--title", "--live")).trim()).toBe("Renamed guest");
    expect((await virsh("desc", guest, "--title", "--config")).trim()).toBe("Renamed guest");
    const meta = await virsh("metadata", guest, "--live", "https://virtfleet.dev/xmlns/1");
    expect(meta).toMatch(/<label key="tier" value="db"\/>/);
    expect(meta).not.toMatch(/zone/);
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("an RNG is hot-plugged into the running guest", async () => {
    writePolicy([base({ title: "Renamed guest", labels: { tier: "db" }, rng: true })]);
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(r.domain.changes.map((c) => [c.field, c.disruption])).toEqual([["rng", "live"]]);
    expect(r.domain.pendingRestart).toBeFalsy();
    expect(await virsh("dumpxml", guest)).toMatch(/<rng model='virtio'>/);
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("a group-readable password file fails the plan naming host, field and path — never the content", async () => {
    writePassword(PW2, 0o640);
    const r = await apply("--dry-run");
    expect(r.domain.outcome).toBe("failed");
    expect(r.domain.error).toContain(`host ${HOST}`);
    expect(r.domain.error).toContain("graphics.passwordFile");
    expect(r.domain.error).toContain(pwFile);
    expect(r.domain.error).toMatch(/chmod 600/);
    expectNoPassword(r);
    writePassword(PW2);
  });

  it("a PCI address the host does not have fails the plan naming host and field; nothing is changed", async () => {
    const before = await virsh("dumpxml", "--inactive", guest);
    writePolicy([base({ title: "Renamed guest", labels: { tier: "db" }, rng: true, hostdevs: [{ pci: "00ff:1f:1f.7" }] })]);
    for (const flags of [["--dry-run"], []]) {
      const r = await apply(...flags);
      expect(r.domain.outcome).toBe("failed");
      expect(r.domain.error).toContain(`host ${HOST}`);
      expect(r.domain.error).toContain("hostdevs[0].pci");
      expect(r.domain.error).toContain("00ff:1f:1f.7");
    }
    expect(await virsh("dumpxml", "--inactive", guest)).toBe(before);
  });
});

describe("a virtiofs share", () => {
  const share = mkdtempSync(join(dir.path, "share-"));
  const fsGuest = `${prefix}fs`;
  it("starts for real (virtiofsd), with shared memory added, and a second apply changes nothing", async () => {
    writeFileSync(join(share, "hello"), "hi\n");
    writePolicy([
      {
        name: fsGuest,
        vcpus: 1,
        memory: "128MiB",
        state: "running",
        filesystems: [{ source: share, target: "share" }],
      },
    ]);
    const r = await runCli(["apply", policies, "--local", "--json", "--name", HOST, "--shutdown-timeout", "2s"]);
    const d = JSON.parse(r.stdout).resources.find((x: { name: string }) => x.name === fsGuest);
    expect(d.outcome, `${d.error ?? ""} ${r.stderr}`).toBe("changed");
    expect(await virsh("domstate", fsGuest)).toMatch(/running/);
    const live = await virsh("dumpxml", fsGuest);
    expect(live).toMatch(/<driver type='virtiofs'/);
    expect(live).toMatch(/<access mode='shared'\/>/);
    const again = await runCli(["apply", policies, "--local", "--json", "--name", HOST]);
    expect(JSON.parse(again.stdout).resources.find((x: { name: string }) => x.name === fsGuest).outcome).toBe("ok");
    await virshResult("destroy", fsGuest);
  });
});
