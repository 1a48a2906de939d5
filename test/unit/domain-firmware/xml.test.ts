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

/** libvirt 9.0's inactive XML of a Secure Boot guest with a vTPM and a boot order (its feature order, not ours). */
const STORED_SB = `<domain type='qemu'>
  <name>vft-fw</name>
  <memory unit='KiB'>65536</memory>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <firmware>
      <feature enabled='yes' name='enrolled-keys'/>
      <feature enabled='yes' name='secure-boot'/>
    </firmware>
    <nvram>/var/lib/libvirt/qemu/nvram/vft-fw_SECBOOT_VARS.fd</nvram>
    <boot dev='cdrom'/>
    <boot dev='hd'/>
    <boot dev='network'/>
  </os>
  <features><acpi/><apic/><smm state='on'/></features>
  <cpu mode='host-model' check='partial'/>
  <devices>
    <tpm model='tpm-crb'>
      <backend type='emulator' version='2.0'/>
    </tpm>
  </devices>
</domain>`;
const SB: Partial<DomainSpec> = { firmware: "uefi", secureBoot: true, tpm: true, boot: ["cdrom", "disk", "network"] };

describe("firmware and boot XML", () => {
  it("uefi: <os firmware='efi'> asking for OVMF without Secure Boot; bios writes nothing", () => {
    const xml = buildDomainXml(spec({ firmware: "uefi" }), ctx);
    expect(xml).toMatch(/<os firmware="efi">/);
    expect(xml).toMatch(/<feature enabled="no" name="secure-boot"/);
    expect(xml).not.toMatch(/<loader|<nvram|<smm/);
    for (const s of [spec({}), spec({ firmware: "bios" })]) expect(buildDomainXml(s, ctx)).not.toMatch(/firmware/);
  });

  it("secureBoot: secure-boot and enrolled-keys features, SMM on; tpm: tpm-crb emulated 2.0; boot: <boot dev> in order", () => {
    const xml = buildDomainXml(spec(SB), ctx);
    expect(xml).toMatch(/<feature enabled="yes" name="secure-boot"/);
    expect(xml).toMatch(/<feature enabled="yes" name="enrolled-keys"/);
    expect(xml).toMatch(/<smm state="on"/);
    expect(xml).toMatch(/<tpm model="tpm-crb">\s*<backend type="emulator" version="2.0"/);
    expect(xml).toMatch(/<boot dev="cdrom"\/>\s*<boot dev="hd"\/>\s*<boot dev="network"\/>/);
    expect(buildDomainXml(spec({ firmware: "uefi", secureBoot: false, tpm: false }), ctx)).not.toMatch(
      /smm|tpm|enrolled/,
    );
  });

  it("libvirt's stored Secure Boot + vTPM + boot order XML diffs to nothing (feature order is libvirt's)", () => {
    const p = parseDomainXml(STORED_SB);
    expect(p).toMatchObject({
      firmware: "uefi",
      secureBoot: true,
      tpms: ["tpm-crb/emulator/2.0"],
      boot: ["cdrom", "disk", "network"],
    });
    expect(diffDomain(spec(SB), p, true)).toEqual([]);
  });

  it("Secure Boot without SMM, or without enrolled keys, is not the spec's Secure Boot", () => {
    const noSmm = parseDomainXml(STORED_SB.replace("<smm state='on'/>", ""));
    expect(diffDomain(spec(SB), noSmm, true)).toEqual([
      { field: "secureBoot", from: false, to: true, disruption: "restart" },
    ]);
    const noKeys = parseDomainXml(
      STORED_SB.replace("enabled='yes' name='enrolled-keys'", "enabled='no' name='enrolled-keys'"),
    );
    expect(diffDomain(spec(SB), noKeys, true).map((c) => c.field)).toEqual(["secureBoot"]);
  });

  it("a Secure Boot guest has its own NVRAM file; Secure Boot on another store (maybe without keys) is drift", () => {
    expect(buildDomainXml(spec(SB), ctx)).toContain(
      "<nvram>/var/lib/libvirt/qemu/nvram/vft-fw_SECBOOT_VARS.fd</nvram>",
    );
    expect(buildDomainXml(spec({ firmware: "uefi" }), ctx)).not.toContain("nvram");
    for (const other of [
      STORED_SB.replace("_SECBOOT_VARS.fd", "_VARS.fd"),
      STORED_SB.replace(/<nvram>[^<]*<\/nvram>/, ""),
    ])
      expect(diffDomain(spec(SB), parseDomainXml(other), true)).toEqual([
        { field: "secureBoot", from: false, to: true, disruption: "restart" },
      ]);
  });

  it("a vTPM of another model or backend is drift, shown as the devices the guest has", () => {
    const tis = parseDomainXml(STORED_SB.replace("tpm-crb", "tpm-tis"));
    expect(diffDomain(spec(SB), tis, true)).toEqual([
      { field: "tpm", from: ["tpm-tis/emulator/2.0"], to: true, disruption: "restart" },
    ]);
    expect(diffDomain(spec({ ...SB, tpm: undefined }), parseDomainXml(STORED_SB), true)).toEqual([
      { field: "tpm", from: true, to: false, disruption: "restart" },
    ]);
  });

  it("boot absent accepts libvirt's default (hd, or none); any other order is drift", () => {
    const base = spec({});
    expect(diffDomain(base, { ...roundTrip(base), boot: ["disk"] }, true)).toEqual([]);
    expect(diffDomain(base, { ...roundTrip(base), boot: [] }, true)).toEqual([]);
    expect(diffDomain(base, { ...roundTrip(base), boot: ["network"] }, true)).toEqual([
      { field: "boot", from: ["network"], to: null, disruption: "restart" },
    ]);
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
      SB,
      { firmware: "uefi" as const, secureBoot: false, tpm: false },
      { tpm: true },
      { boot: ["network" as const] },
      { boot: ["disk" as const, "cdrom" as const] },
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
    ["secureBoot on", { firmware: "uefi" }, { firmware: "uefi", secureBoot: true }, "secureBoot"],
    ["secureBoot off", SB, { ...SB, secureBoot: false }, "secureBoot"],
    ["tpm added", {}, { tpm: true }, "tpm"],
    ["tpm removed", SB, { ...SB, tpm: false }, "tpm"],
    ["boot order", SB, { ...SB, boot: ["disk", "cdrom", "network"] }, "boot"],
    ["boot set", {}, { boot: ["network"] }, "boot"],
    ["boot dropped", { boot: ["network"] }, {}, "boot"],
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
