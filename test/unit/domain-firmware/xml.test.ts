/**
 * The firmware and boot area's XML: what the builder writes, what the parser reads back from
 * libvirt's inactive XML (as libvirt 9.0 stores it: checked against the real libvirtd in
 * test/integration/domain-firmware/), and the diff: one field changed is exactly one change,
 * `restart` on a running guest, `live` on a shut-off one.
 */
import { describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, parseDomainXml } from "../../../kinds/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { tinyDomainSpec } from "../../harness/specs.js";

const ctx = { domainType: "kvm" as const, diskPaths: new Map(), specHash: "h" };
const spec = (over: Partial<DomainSpec>): DomainSpec => tinyDomainSpec("vft-fw", { machine: "q35", ...over });
const roundTrip = (s: DomainSpec) => parseDomainXml(buildDomainXml(s, ctx));
const KERNEL = { path: "/srv/k/vmlinuz", initrd: "/srv/k/initrd.img", cmdline: "root=/dev/vda console=ttyS0" };

/** libvirt 9.0's inactive XML of a UEFI guest with direct kernel boot (virsh dumpxml --inactive). */
const STORED_UEFI_KERNEL = `<domain type='kvm'>
  <name>vft-fw</name>
  <uuid>4c6d6f3e-6d1a-4a8e-9f55-0b1f0e6d2a11</uuid>
  <memory unit='KiB'>65536</memory>
  <vcpu placement='static'>1</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <firmware>
      <feature enabled='no' name='secure-boot'/>
    </firmware>
    <kernel>/srv/k/vmlinuz</kernel>
    <initrd>/srv/k/initrd.img</initrd>
    <cmdline>root=/dev/vda console=ttyS0</cmdline>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='host-model' check='partial'/>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>`;

describe("firmware and boot XML", () => {
  it("uefi: <os firmware='efi'> asking for OVMF without Secure Boot; bios writes nothing", () => {
    const xml = buildDomainXml(spec({ firmware: "uefi" }), ctx);
    expect(xml).toMatch(/<os firmware="efi">/);
    expect(xml).toMatch(/<feature enabled="no" name="secure-boot"/);
    expect(xml).not.toMatch(/<loader|<nvram|<smm/);
    for (const s of [spec({}), spec({ firmware: "bios" })]) expect(buildDomainXml(s, ctx)).not.toMatch(/firmware/);
  });

  it("kernel: <kernel>, <initrd>, <cmdline>; an empty cmdline is left out", () => {
    const xml = buildDomainXml(spec({ kernel: KERNEL }), ctx);
    expect(xml).toContain("<kernel>/srv/k/vmlinuz</kernel>");
    expect(xml).toContain("<initrd>/srv/k/initrd.img</initrd>");
    expect(xml).toContain("<cmdline>root=/dev/vda console=ttyS0</cmdline>");
    expect(buildDomainXml(spec({ kernel: { path: "/k", cmdline: "" } }), ctx)).not.toContain("cmdline");
  });

  it("a cmdline with markup stays text", () => {
    const s = spec({ kernel: { path: "/k", cmdline: `a="<b>" & c` } });
    expect(roundTrip(s).kernel).toEqual({ path: "/k", cmdline: `a="<b>" & c` });
  });

  it("built → parsed → no diff, for each field and combination", () => {
    for (const over of [
      {},
      { firmware: "bios" as const },
      { firmware: "uefi" as const },
      { kernel: KERNEL },
      { kernel: { path: "/k" } },
      { firmware: "uefi" as const, kernel: KERNEL },
    ]) {
      const s = spec(over);
      expect(diffDomain(s, roundTrip(s), true)).toEqual([]);
    }
  });

  it("libvirt's stored XML parses to the spec's fields and diffs to nothing", () => {
    const p = parseDomainXml(STORED_UEFI_KERNEL);
    expect(p.firmware).toBe("uefi");
    expect(p.kernel).toEqual(KERNEL);
    expect(diffDomain(spec({ firmware: "uefi", kernel: KERNEL }), p, true)).toEqual([]);
  });

  it("a pflash <loader> (a guest defined by hand with an explicit loader) is uefi", () => {
    const xml = STORED_UEFI_KERNEL.replace("<os firmware='efi'>", "<os>").replace(
      "<firmware>",
      "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><firmware>",
    );
    expect(parseDomainXml(xml).firmware).toBe("uefi");
  });

  it.each<[string, Partial<DomainSpec>, Partial<DomainSpec>, string]>([
    ["firmware bios → uefi", {}, { firmware: "uefi" }, "firmware"],
    ["firmware uefi → bios", { firmware: "uefi" }, { firmware: "bios" }, "firmware"],
    ["firmware uefi → absent (bios)", { firmware: "uefi" }, {}, "firmware"],
    ["kernel added", {}, { kernel: KERNEL }, "kernel"],
    ["kernel removed", { kernel: KERNEL }, {}, "kernel"],
    ["kernel path", { kernel: KERNEL }, { kernel: { ...KERNEL, path: "/srv/k/vmlinuz-2" } }, "kernel"],
    ["initrd dropped", { kernel: KERNEL }, { kernel: { path: KERNEL.path, cmdline: KERNEL.cmdline } }, "kernel"],
    ["cmdline", { kernel: KERNEL }, { kernel: { ...KERNEL, cmdline: "quiet" } }, "kernel"],
  ])("%s: exactly one change, restart when running, live when shut off", (_, from, to, field) => {
    const actual = roundTrip(spec(from));
    const running = diffDomain(spec(to), actual, true);
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ field, disruption: "restart" });
    expect(diffDomain(spec(to), actual, false)).toMatchObject([{ field, disruption: "live" }]);
  });
});
