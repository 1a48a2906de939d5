/**
 * The devices and metadata areas against the real libvirtd, at the XML level: a guest with
 * every device (guest-agent channel, pty console, RNG, watchdog, SPICE with a password, PCI /
 * USB / mdev host devices, a virtiofs share) and a title and labels is defined, read back
 * (`--inactive`) and diffs to zero changes; each field changed alone is exactly one change with
 * its disruption class.
 *
 * This machine has no IOMMU and no passthrough devices: the host devices are exercised as far as
 * libvirt validates them — at define time, not at start (libvirt checks the host device when
 * the guest starts) — so this guest is defined, never started. (running.test.ts starts guests
 * with the devices that can run here.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, parseDomainXml, type DomainBuildContext } from "../../../kinds/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { tinyDomainSpec } from "../../harness/specs.js";
import { cleanupPrefix, HOST_DOMAIN_TYPE, testPrefix, virsh } from "../../harness/virsh.js";
import { withXmlFile } from "../xml/virsh-xml.js";
import { graphicsPasswordDigests } from "../../../kinds/domain/devices/index.js";
import { passwordDigest } from "../../../kinds/domain/devices/password-file.js";

const prefix = testPrefix();
const name = `${prefix}every`;
const PASSWORD = "Sp1ce-pw-7f3a";

afterAll(async () => {
  await cleanupPrefix(prefix);
});

function everyDevice(over: Partial<DomainSpec> = {}): DomainSpec {
  return tinyDomainSpec(name, {
    machine: "q35",
    state: "shutoff",
    title: "Every device",
    labels: { tier: "web", "team.example/owner": "ops" },
    graphics: { type: "spice", listen: "127.0.0.1", passwordFile: "/etc/virtfleet/spice-pw" },
    guestAgent: true,
    rng: true,
    watchdog: { model: "i6300esb", action: "poweroff" },
    hostdevs: [
      { pci: "0000:3b:00.1" },
      { usb: { vendor: "0x0781", product: "0x5581" } },
      { mdev: "4b20d080-1b54-4048-85b3-a6a62d165c01", model: "vfio-pci" },
    ],
    filesystems: [{ source: "/srv", target: "share", driver: "virtiofs" }],
    ...over,
  });
}

const ctx = (spec: DomainSpec): DomainBuildContext => ({
  domainType: HOST_DOMAIN_TYPE,
  diskPaths: new Map(),
  specHash: "h",
  policy: "devices",
  graphicsPassword: PASSWORD,
  ...(spec.name ? {} : {}),
});

async function define(spec: DomainSpec): Promise<void> {
  const uuid = (await virsh("domuuid", spec.name).catch(() => "")).trim();
  const xml = buildDomainXml(spec, { ...ctx(spec), ...(uuid ? { uuid } : {}) });
  await withXmlFile(xml, (f) => virsh("define", f));
}

const readBack = async () => parseDomainXml(await virsh("dumpxml", "--inactive", name));

describe("every device and the metadata, defined through the real libvirtd", () => {
  it("reads back with no change", async () => {
    await define(everyDevice());
    const parsed = await readBack();
    expect(diffDomain(everyDevice(), parsed, true, { domainType: HOST_DOMAIN_TYPE })).toEqual([]);
    expect(parsed.title).toBe("Every device");
    expect(parsed.labels).toEqual({ tier: "web", "team.example/owner": "ops" });
    expect(parsed.hostdevs.sort()).toEqual([
      "mdev 4b20d080-1b54-4048-85b3-a6a62d165c01 vfio-pci",
      "pci 0000:3b:00.1",
      "usb 0x0781:0x5581",
    ]);
  });

  it("libvirt adds what it needs and it never counts: channel socket, virtio-serial controller, shared memory", async () => {
    const xml = await virsh("dumpxml", "--inactive", name);
    expect(xml).toMatch(/<controller type='virtio-serial'/);
    expect(xml).toMatch(/<source type='memfd'\/>/);
    expect(xml).toMatch(/<access mode='shared'\/>/);
  });

  it("the password is in the definition only: absent from the plain XML, its digest matches in the secure XML", async () => {
    expect(await virsh("dumpxml", "--inactive", name)).not.toContain(PASSWORD);
    const secure = await virsh("dumpxml", "--inactive", "--security-info", name);
    expect(secure).toContain(`passwd='${PASSWORD}'`);
    expect(graphicsPasswordDigests(secure)).toEqual([passwordDigest(PASSWORD)]);
  });

  const one: [string, Partial<DomainSpec>, string, string][] = [
    ["title", { title: "Renamed" }, "title", "live"],
    ["labels", { labels: { tier: "db" } }, "labels", "live"],
    ["labels removed", { labels: undefined }, "labels", "live"],
    ["guestAgent", { guestAgent: undefined }, "guestAgent", "restart"],
    ["console", { console: "none" }, "console", "restart"],
    ["rng", { rng: undefined }, "rng", "live"],
    ["watchdog action", { watchdog: { model: "i6300esb", action: "reset" } }, "watchdog", "restart"],
    ["watchdog removed", { watchdog: undefined }, "watchdog", "restart"],
    ["graphics listen", { graphics: { type: "spice", listen: "0.0.0.0", passwordFile: "/x" } }, "graphics", "restart"],
    ["graphics type", { graphics: "vnc" }, "graphics", "restart"],
    ["a hostdev removed", { hostdevs: [{ pci: "0000:3b:00.1" }] }, "hostdevs", "restart"],
    [
      "a filesystem's tag",
      { filesystems: [{ source: "/srv", target: "other", driver: "virtiofs" }] },
      "filesystems",
      "restart",
    ],
  ];
  it.each(one)(
    "one field changed (%s) is exactly one change with its class",
    async (_what, over, field, disruption) => {
      const changes = diffDomain(everyDevice(over), await readBack(), true, { domainType: HOST_DOMAIN_TYPE });
      expect(changes.map((c) => [c.field, c.disruption])).toEqual([[field, disruption]]);
    },
  );

  it("each changed field, once defined, reads back with no change (the builder writes what the parser reads)", async () => {
    for (const [, over] of one) {
      await define(everyDevice(over));
      expect(diffDomain(everyDevice(over), await readBack(), true, { domainType: HOST_DOMAIN_TYPE })).toEqual([]);
    }
    await define(everyDevice());
  });

  it("a minimal guest (no new field) still gets its pty serial console and reads back unchanged", async () => {
    const plain = tinyDomainSpec(`${prefix}plain`, { state: "shutoff" });
    const xml = buildDomainXml(plain, { domainType: HOST_DOMAIN_TYPE, diskPaths: new Map(), specHash: "h" });
    await withXmlFile(xml, (f) => virsh("define", f));
    const parsed = parseDomainXml(await virsh("dumpxml", "--inactive", plain.name));
    expect(parsed.serialTypes).toEqual(["pty"]);
    expect(parsed.consoleTypes).toEqual(["pty"]);
    expect(diffDomain(plain, parsed, true, { domainType: HOST_DOMAIN_TYPE })).toEqual([]);
  });
});
