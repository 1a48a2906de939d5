/**
 * Firmware and boot end to end: a policy through `virtfleet apply --local` (a real process
 * against the real libvirtd) defines a UEFI Secure Boot guest with a vTPM and a boot order (the
 * machine defaults to q35); a second apply changes nothing; bad input is refused at policy load
 * with file:line:col and nothing is defined. The guest stays shut off (starting UEFI guests is
 * tested in firmware.test.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../../harness/virsh.js";

const prefix = testPrefix();
const dir = tempDir("vft-fwcli-");
const policies = join(dir.path, "policies");
const guest = `${prefix}sb`;

function writePolicy(domain: Record<string, unknown>): string {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "fw" },
    spec: { resources: { domains: [{ name: guest, vcpus: 1, memory: "128MiB", state: "shutoff", ...domain }] } },
  };
  mkdirSync(policies, { recursive: true });
  const file = join(policies, "fw.yaml");
  writeFileSync(file, stringify(doc));
  return file;
}

async function apply(...extra: string[]) {
  const r = await runCli(["apply", policies, "--local", "--json", ...extra]);
  const domain = r.stdout
    ? JSON.parse(r.stdout).resources?.find((x: { kind: string }) => x.kind === "domain")
    : undefined;
  return { code: r.code, domain, stderr: r.stderr };
}

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("firmware and boot through virtfleet apply --local", () => {
  it("defines a Secure Boot + vTPM guest on q35; a second apply and a dry-run change nothing", async () => {
    writePolicy({ firmware: "uefi", secureBoot: true, tpm: true, boot: ["cdrom", "disk"] });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.outcome).toBe("changed");
    const xml = await virsh("dumpxml", "--inactive", guest);
    expect(xml).toMatch(/<os firmware='efi'>/);
    expect(xml).toMatch(/machine='pc-q35-/);
    expect(xml).toMatch(/<smm state='on'\/>/);
    expect(xml).toMatch(/<tpm model='tpm-crb'>/);
    expect(xml).toMatch(/<boot dev='cdrom'\/>\s*<boot dev='hd'\/>/);
    expect((await apply()).domain.outcome).toBe("ok");
    expect((await apply("--dry-run")).code).toBe(0);
  });

  it("one field changed (tpm off) is one change", async () => {
    writePolicy({ firmware: "uefi", secureBoot: true, tpm: false, boot: ["cdrom", "disk"] });
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.changes.filter((c: { field: string }) => c.field !== "metadata.specHash")).toEqual([
      { field: "tpm", from: true, to: false, disruption: "live" },
    ]);
    expect(await virsh("dumpxml", "--inactive", guest)).not.toMatch(/<tpm/);
  });

  it("bad input is refused at policy load with file:line:col; nothing is changed", async () => {
    const file = writePolicy({ firmware: "uefi", secureBoot: true, machine: "pc", kernel: { cmdline: "quiet" } });
    const before = await virsh("dumpxml", "--inactive", guest);
    const r = await apply();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: spec\\.resources\\.domains\\[0\\]\\.machine: secureBoot needs a q35 machine`,
      ),
    );
    expect(r.stderr).toMatch(/domains\[0\]\.kernel: cmdline without a kernel: kernel\.path is required/);
    expect(await virsh("dumpxml", "--inactive", guest)).toBe(before);
    expect((await virshResult("dominfo", guest)).code).toBe(0);
  });
});
