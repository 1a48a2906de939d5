/**
 * Build → parse → diff of the devices and metadata fields without libvirt (the real-libvirt
 * round trip is test/integration/domain-devices/): the builder's XML parses back to no change
 * (a second apply changes nothing); one field changed is exactly one change with its class;
 * the memory backing virtiofs needs is merged into what another area set.
 */
import { describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, parseDomainXml } from "../../../kinds/index.js";
import { buildDevices } from "../../../kinds/domain/devices/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import {
  buildMetadataElementXml,
  parseVirtfleetMetadata,
  parseVirtfleetMetadataElement,
} from "../../../kinds/libvirt-xml/metadata.js";
import { tinyDomainSpec } from "../../harness/specs.js";

const PASSWORD = "s3cr3t!x";
const full = (over: Partial<DomainSpec> = {}): DomainSpec =>
  tinyDomainSpec("d", {
    machine: "q35",
    title: "Title",
    labels: { b: "2", a: "1" },
    graphics: { type: "vnc", listen: "0.0.0.0", passwordFile: "/etc/pw" },
    guestAgent: true,
    console: "none",
    rng: true,
    watchdog: { model: "i6300esb", action: "pause" },
    hostdevs: [{ pci: "0000:3b:00.1" }, { usb: { vendor: "0x0781", product: "0x5581" } }],
    filesystems: [{ source: "/srv/s", target: "s", driver: "virtiofs" }],
    ...over,
  });
const ctx = { domainType: "kvm" as const, diskPaths: new Map(), specHash: "h", graphicsPassword: PASSWORD };
const roundTrip = (spec: DomainSpec) => parseDomainXml(buildDomainXml(spec, ctx));

describe("devices and metadata: build, parse, diff", () => {
  it("what the builder writes parses back to no change", () => {
    expect(diffDomain(full(), roundTrip(full()), true)).toEqual([]);
    const plain = tinyDomainSpec("p");
    expect(diffDomain(plain, roundTrip(plain), true)).toEqual([]);
  });

  it.each<[string, Partial<DomainSpec>, string, string]>([
    ["title", { title: "Other" }, "title", "live"],
    ["labels", { labels: { a: "1" } }, "labels", "live"],
    [
      "graphics listen",
      { graphics: { type: "vnc", listen: "127.0.0.1", passwordFile: "/etc/pw" } },
      "graphics",
      "restart",
    ],
    ["graphics none", { graphics: "none" }, "graphics", "restart"],
    ["guestAgent", { guestAgent: undefined }, "guestAgent", "restart"],
    ["console", { console: undefined }, "console", "restart"],
    ["rng", { rng: undefined }, "rng", "live"],
    ["watchdog", { watchdog: { model: "ib700", action: "pause" } }, "watchdog", "restart"],
    [
      "hostdevs",
      { hostdevs: [{ pci: "0000:3b:00.2" }, { usb: { vendor: "0x0781", product: "0x5581" } }] },
      "hostdevs",
      "restart",
    ],
    ["filesystems", { filesystems: undefined }, "filesystems", "restart"],
  ])("one field changed (%s): exactly one change, its class on a running guest", (_w, over, field, disruption) => {
    const changes = diffDomain(full(over), roundTrip(full()), true);
    expect(changes.map((c) => [c.field, c.disruption])).toEqual([[field, disruption]]);
    expect(diffDomain(full(over), roundTrip(full()), false).map((c) => c.disruption)).toEqual(["live"]);
  });

  it("label order and hostdev order never count", () => {
    const swapped = full({
      labels: { a: "1", b: "2" },
      hostdevs: [{ usb: { vendor: "0x0781", product: "0x5581" } }, { pci: "0000:3b:00.1" }],
    });
    expect(diffDomain(swapped, roundTrip(full()), true)).toEqual([]);
  });

  it("the password goes into the XML only; no change, no parsed field carries it", () => {
    const xml = buildDomainXml(full(), ctx);
    expect(xml).toContain(`passwd="${PASSWORD}"`);
    const parsed = parseDomainXml(xml);
    expect(JSON.stringify(parsed)).not.toContain(PASSWORD);
    const changes = diffDomain(full({ graphics: "vnc" }), parsed, true);
    expect(JSON.stringify(changes)).not.toContain(PASSWORD);
  });

  it("a spec naming a password file is never built without its password", () => {
    expect(() => buildDomainXml(full(), { ...ctx, graphicsPassword: undefined })).toThrow(
      /graphics\.passwordFile \/etc\/pw was not read/,
    );
  });

  it("virtiofs merges memfd + shared access into the memory backing another area set, keeping its keys", () => {
    const parts = {
      domain: { memoryBacking: { hugepages: { page: { "@_size": "2048" } }, access: { "@_mode": "private" } } },
      os: {},
      features: {},
      devices: {},
    };
    buildDevices(full(), ctx, parts, "d");
    expect(parts.domain.memoryBacking).toEqual({
      hugepages: { page: { "@_size": "2048" } },
      access: { "@_mode": "private" },
      source: { "@_type": "memfd" },
    });
    const none = { domain: {} as Record<string, unknown>, os: {}, features: {}, devices: {} };
    buildDevices(full({ filesystems: undefined }), ctx, none, "d");
    expect(none.domain.memoryBacking).toBeUndefined();
  });

  it("labels ride in virtfleet's metadata element, next to the spec hash, and read back both ways", () => {
    const xml = buildDomainXml(full(), ctx);
    expect(parseVirtfleetMetadata(xml)).toMatchObject({ specHash: "h", labels: { a: "1", b: "2" } });
    const el = buildMetadataElementXml("h2", "pol", "rev", { z: "", a: "x y" });
    expect(parseVirtfleetMetadataElement(el)).toEqual({
      specHash: "h2",
      policy: "pol",
      createdBy: "rev",
      labels: { a: "x y", z: "" },
    });
    expect(parseVirtfleetMetadataElement(buildMetadataElementXml("h", undefined))).toEqual({
      specHash: "h",
      policy: null,
    });
  });

  it("a guest defined before these fields (serial + console pty, no new devices) has no drift", () => {
    const old = `<domain type='kvm'><name>o</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu>
      <cpu mode='host-model'/><os><type>hvm</type></os><devices>
      <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>
      <console type='pty'><target type='serial' port='0'/></console>
      <memballoon model='virtio'/></devices></domain>`;
    expect(diffDomain(tinyDomainSpec("o"), parseDomainXml(old), true)).toEqual([]);
  });
});
