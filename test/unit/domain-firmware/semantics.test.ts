/** Firmware and boot: bad input rejected at policy load with file:line:col, and the resolver's defaults. */
import { describe, expect, it } from "vitest";
import { checkFirmwareDocument } from "../../../kinds/domain/firmware/semantics.js";
import { resolveDomain } from "../../../kinds/domain/resolve.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../../../kinds/domain/spec.js";
import { lines, load, policy } from "../policy/helpers.js";

const errs = (domain: string) => lines(load({ "p.yaml": policy("p", `    domains:\n      - ${domain}\n`) }));
const base = "name: g, vcpus: 1, memory: 64MiB";

describe("firmware and boot at policy load", () => {
  it("valid fields pass", () => {
    expect(
      errs(
        `{${base}, firmware: uefi, kernel: {path: /srv/k/vmlinuz, initrd: /srv/k/initrd.img, cmdline: "root=/dev/vda console=ttyS0"}}`,
      ),
    ).toEqual([]);
    expect(errs(`{${base}, firmware: bios}`)).toEqual([]);
  });

  it("kernel without path; initrd or cmdline without a kernel", () => {
    expect(errs(`{${base}, kernel: {initrd: /srv/k/initrd.img}}`)).toEqual([
      "p.yaml:8:52: spec.resources.domains[0].kernel: initrd without a kernel: kernel.path is required",
    ]);
    expect(errs(`{${base}, kernel: {cmdline: quiet}}`)[0]).toMatch(
      /^p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.kernel: cmdline without a kernel/,
    );
    expect(errs(`{${base}, kernel: {}}`)[0]).toMatch(/kernel: kernel\.path is required/);
  });

  it("kernel and initrd paths absolute and normalised; cmdline without control characters", () => {
    expect(errs(`{${base}, kernel: {path: boot/vmlinuz}}`)[0]).toMatch(
      /^p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.kernel\.path: "boot\/vmlinuz" must be an absolute path/,
    );
    expect(errs(`{${base}, kernel: {path: /k, initrd: /srv/../initrd}}`)[0]).toMatch(/kernel\.initrd: .*"\.\."/);
    expect(errs(`{${base}, kernel: {path: /k, cmdline: "a\\nb"}}`)[0]).toMatch(
      /kernel\.cmdline: the control character U\+000A \(newline\)/,
    );
    expect(errs(`{${base}, kernel: {path: /k, cmdline: "quiet "}}`)[0]).toMatch(
      /kernel\.cmdline: must not start or end/,
    );
  });

  it("secureBoot needs firmware uefi and a q35 machine", () => {
    expect(errs(`{${base}, secureBoot: true}`)).toEqual([
      "p.yaml:8:56: spec.resources.domains[0].secureBoot: Secure Boot needs firmware: uefi",
    ]);
    expect(errs(`{${base}, firmware: uefi, secureBoot: true, machine: pc}`)[0]).toMatch(
      /^p\.yaml:8:\d+: spec\.resources\.domains\[0\]\.machine: secureBoot needs a q35 machine \(SMM\); "pc" cannot/,
    );
    expect(errs(`{${base}, firmware: uefi, secureBoot: true, machine: pc-i440fx-7.2}`)[0]).toMatch(
      /machine: secureBoot needs a q35/,
    );
    expect(errs(`{${base}, firmware: uefi, secureBoot: true, machine: pc-q35-7.2}`)).toEqual([]);
    expect(errs(`{${base}, firmware: uefi, secureBoot: true}`)).toEqual([]);
    expect(errs(`{${base}, firmware: uefi, secureBoot: false, machine: pc}`)).toEqual([]);
  });

  it("uefi needs a machine OVMF runs on", () => {
    expect(errs(`{${base}, firmware: uefi, machine: microvm}`)[0]).toMatch(
      /machine: firmware uefi needs a q35 or pc \(i440fx\) machine; OVMF does not run on "microvm"/,
    );
    expect(errs(`{${base}, firmware: bios, machine: microvm}`)).toEqual([]);
  });

  it("boot: each device once, at least one, not with per-device boot order", () => {
    expect(errs(`{${base}, boot: [disk, cdrom, network]}`)).toEqual([]);
    expect(errs(`{${base}, boot: [disk, disk]}`)[0]).toMatch(/domains\[0\]\.boot\[1\]: disk is listed twice/);
    expect(errs(`{${base}, boot: []}`)[0]).toMatch(/domains\[0\]\.boot: list at least one device/);
    expect(errs(`{${base}, boot: [floppy]}`)[0]).toMatch(/boot\[0\]/);
  });

  it("boot with a per-device bootIndex is refused (read defensively: the field belongs to the disks/NICs areas)", () => {
    const issues = { add: (_p: unknown, m: string) => out.push(m) };
    const out: string[] = [];
    const c = { issues, concrete: (v: unknown) => (typeof v === "string" ? v : undefined) } as unknown as ValueChecker;
    const d = {
      name: "g",
      boot: ["disk"],
      disks: [{ volume: "p/v" }, { volume: "p/w", bootIndex: 1 }],
    } as unknown as DomainDocument;
    checkFirmwareDocument(d, ["domains", 0], c);
    expect(out).toEqual([
      "boot cannot be used together with per-device boot order (disks[1].bootIndex): libvirt refuses both; use one or the other",
    ]);
  });

  it("unknown firmware is a schema error", () => {
    expect(errs(`{${base}, firmware: coreboot}`)[0]).toMatch(/firmware/);
  });

  it("the resolver leaves unset fields out (the spec hash of other guests is unchanged)", () => {
    const d = { name: "g", vcpus: 1, memory: "64MiB" } as DomainDocument;
    const r = resolveDomain(d);
    expect("firmware" in r).toBe(false);
    expect("kernel" in r).toBe(false);
    for (const k of ["secureBoot", "tpm", "boot"]) expect(k in r).toBe(false);
    expect(resolveDomain({ ...d, firmware: "uefi", secureBoot: true }).machine).toBe("q35");
    expect(resolveDomain({ ...d, firmware: "uefi", secureBoot: true, machine: "pc-q35-7.2" }).machine).toBe(
      "pc-q35-7.2",
    );
    expect(resolveDomain({ ...d, firmware: "uefi", secureBoot: false }).machine).toBeNull();
    expect(resolveDomain({ ...d, firmware: "uefi", kernel: { path: "/k" } })).toMatchObject({
      firmware: "uefi",
      kernel: { path: "/k" },
    });
  });
});
