/** The plan stage's host check: OVMF (QEMU firmware descriptors) and swtpm, against fixture trees. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkFirmwareOnHost, type FirmwareHostPaths } from "../../../kinds/domain/firmware/host-check.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { tinyDomainSpec } from "../../harness/specs.js";

const root = mkdtempSync(join(tmpdir(), "vft-fwhost-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tree with the given descriptors (name → features; the firmware file exists unless `missing`) and binaries. */
function host(
  descriptors: Record<string, { features: string[]; missing?: boolean }>,
  bins: string[] = [],
): FirmwareHostPaths {
  const dir = mkdtempSync(join(root, "h-"));
  const share = join(dir, "share");
  const etc = join(dir, "etc");
  const bin = join(dir, "bin");
  for (const d of [share, etc, bin]) mkdirSync(d);
  for (const [name, { features, missing }] of Object.entries(descriptors)) {
    const exe = join(dir, `${name}.fd`);
    if (!missing) writeFileSync(exe, "");
    writeFileSync(
      join(share, `${name}.json`),
      JSON.stringify({
        "interface-types": ["uefi"],
        mapping: { device: "flash", executable: { filename: exe } },
        features,
      }),
    );
  }
  for (const b of bins) {
    writeFileSync(join(bin, b), "#!/bin/sh\n");
    chmodSync(join(bin, b), 0o755);
  }
  return { descriptorDirs: [etc, share], binDirs: [bin] };
}

const spec = (over: Partial<DomainSpec>) => tinyDomainSpec("g", over);
const DEBIAN = {
  "40-secure-enrolled": { features: ["enrolled-keys", "requires-smm", "secure-boot"] },
  "60-plain": { features: ["acpi-s3"] },
};

describe("firmware on the host (plan stage)", () => {
  it("Debian's ovmf descriptors and swtpm: everything passes", async () => {
    const h = host(DEBIAN, ["swtpm", "swtpm_setup"]);
    for (const s of [spec({ firmware: "uefi" }), spec({ firmware: "uefi", secureBoot: true, tpm: true }), spec({})])
      await expect(checkFirmwareOnHost(s, "host h1", h)).resolves.toBeUndefined();
  });

  it("no OVMF: firmware uefi fails naming host and field; bios is not checked", async () => {
    const h = host({});
    await expect(checkFirmwareOnHost(spec({ firmware: "uefi" }), "host h1", h)).rejects.toThrow(
      /^domain g: firmware: needs OVMF \(UEFI without Secure Boot\).* on host h1; the guest was not defined or changed$/,
    );
    await expect(checkFirmwareOnHost(spec({ firmware: "bios" }), "host h1", h)).resolves.toBeUndefined();
    await expect(
      checkFirmwareOnHost(spec({ firmware: "uefi", state: "absent" }), "host h1", h),
    ).resolves.toBeUndefined();
  });

  it("a descriptor whose firmware file is missing does not count; only the Secure Boot build: secureBoot is named", async () => {
    await expect(
      checkFirmwareOnHost(spec({ firmware: "uefi" }), "host h1", host({ "60-plain": { features: [], missing: true } })),
    ).rejects.toThrow(/domain g: firmware: needs OVMF/);
    const plainOnly = host({ "60-plain": { features: [] } });
    await expect(
      checkFirmwareOnHost(spec({ firmware: "uefi", secureBoot: true }), "host h1", plainOnly),
    ).rejects.toThrow(/^domain g: secureBoot: needs OVMF \(UEFI with Secure Boot and enrolled keys\)/);
  });

  it("an empty file in /etc hides the descriptor of the same name", async () => {
    const h = host({ "60-plain": { features: [] } });
    writeFileSync(join(h.descriptorDirs[0]!, "60-plain.json"), "");
    await expect(checkFirmwareOnHost(spec({ firmware: "uefi" }), "host h1", h)).rejects.toThrow(/firmware: needs OVMF/);
  });

  it("tpm without swtpm_setup fails naming the field", async () => {
    await expect(checkFirmwareOnHost(spec({ tpm: true }), "host h1", host({}, ["swtpm"]))).rejects.toThrow(
      /^domain g: tpm: a vTPM needs swtpm_setup, which is not installed .* on host h1/,
    );
  });
});
