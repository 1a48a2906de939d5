import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../common/errors.js";
import {
  buildDomainXml,
  buildNetworkXml,
  buildPoolXml,
  buildVolumeXml,
  parseDomainXml,
  parseNetworkXml,
  parsePoolXml,
  parseVolumeXml,
  parseVirtfleetMetadata,
} from "../../../kinds/index.js";
import * as S from "./specs.js";

const EVIL = `a"><evil/>`;
const EVIL_ALL = `x'"&<>]]><!-- --><evil attr="1"/>&amp;`;

describe("no XML injection through any string", () => {
  it('a domain name like a"><evil/> stays one text value', () => {
    const xml = buildDomainXml({ ...S.tinyDomain(), name: EVIL }, S.tinyDomainCtx());
    expect(xml).not.toContain("<evil");
    expect(xml).toContain("<name>a&quot;&gt;&lt;evil/&gt;</name>");
    expect(parseDomainXml(xml).name).toBe(EVIL);
  });

  it("every string of a domain (names, pool/volume, network, paths, policy, hash) round-trips verbatim", () => {
    const spec = {
      ...S.fullDomain(),
      name: EVIL_ALL,
      disks: [{ pool: EVIL, volume: EVIL_ALL, bus: "virtio" as const }],
      cdroms: [{ path: `/iso/${EVIL_ALL}` }, { pool: EVIL_ALL, volume: EVIL }],
      interfaces: [{ network: EVIL_ALL, model: "virtio" as const, mac: "52:54:00:00:00:01" }],
    };
    const xml = buildDomainXml(spec, {
      domainType: "kvm",
      diskPaths: new Map([[`${EVIL}/${EVIL_ALL}`, { path: "/p", format: "qcow2" as const }]]),
      specHash: EVIL_ALL,
      policy: EVIL,
    });
    expect(xml).not.toMatch(/<evil|<!--/);
    const parsed = parseDomainXml(xml);
    expect(parsed.name).toBe(EVIL_ALL);
    expect(parsed.disks[0]).toMatchObject({ pool: EVIL, volume: EVIL_ALL });
    expect(parsed.cdroms.map((c) => c.path ?? c.volume)).toEqual([`/iso/${EVIL_ALL}`, EVIL]);
    expect(parsed.interfaces[0]!.network).toBe(EVIL_ALL);
    expect(parseVirtfleetMetadata(xml)).toEqual({ specHash: EVIL_ALL, policy: EVIL });
  });

  it("network, pool and volume strings round-trip verbatim", () => {
    const net = { ...S.natNetwork(), name: EVIL, bridge: EVIL_ALL };
    net.ipv4!.dhcp!.hosts[0]!.name = EVIL_ALL;
    const pn = parseNetworkXml(buildNetworkXml(net));
    expect([pn.name, pn.bridge, pn.ipv4!.dhcp!.hosts[0]!.name]).toEqual([EVIL, EVIL_ALL, EVIL_ALL]);
    const pool = parsePoolXml(buildPoolXml({ ...S.dirPool(), name: EVIL, path: `/x/${EVIL_ALL}` }));
    expect([pool.name, pool.path]).toEqual([EVIL, `/x/${EVIL_ALL}`]);
    const vol = parseVolumeXml(
      buildVolumeXml(
        { ...S.overlayVolume(), name: EVIL_ALL.replace(/\//g, "") },
        { backingPath: `/x/${EVIL}`, backingFormat: "qcow2" },
      ),
    );
    expect([vol.name, vol.backingPath]).toEqual([EVIL_ALL.replace(/\//g, ""), `/x/${EVIL}`]);
  });

  it('a string that is exactly "true" keeps its value (no boolean-attribute shortcut)', () => {
    const xml = buildDomainXml(
      { ...S.fullDomain(), interfaces: [{ network: "true", model: "virtio", mac: "52:54:00:00:00:01" }] },
      S.fullDomainCtx(),
    );
    expect(xml).toContain(`<source network="true"/>`);
    expect(parseDomainXml(xml).interfaces[0]!.network).toBe("true");
  });

  it("characters XML cannot carry are rejected with ValidationError naming the field", () => {
    expect(() => buildDomainXml({ ...S.tinyDomain(), name: "a\u0000b" }, S.tinyDomainCtx())).toThrow(ValidationError);
    expect(() => buildDomainXml({ ...S.tinyDomain(), name: "a\u001bb" }, S.tinyDomainCtx())).toThrow(
      /name: contains a character/,
    );
    expect(() => buildNetworkXml({ ...S.natNetwork(), bridge: "br\ud800" })).toThrow(/bridge/);
    expect(() => buildPoolXml({ ...S.dirPool(), path: "/x\u0007" })).toThrow(ValidationError);
  });

  it("values that must have a shape are checked (MAC, IPv4, UUID, volume name, relative pool path)", () => {
    expect(() =>
      buildDomainXml(
        { ...S.fullDomain(), interfaces: [{ network: "n", model: "virtio", mac: `52:54:00:00:00:01"/>` }] },
        S.fullDomainCtx(),
      ),
    ).toThrow(/not a MAC/);
    expect(() => buildDomainXml(S.tinyDomain(), { ...S.tinyDomainCtx(), uuid: "x'/><evil/>" })).toThrow(/not a UUID/);
    const net = S.natNetwork();
    net.ipv4!.address = "192.168.1.1'/><evil/>";
    expect(() => buildNetworkXml(net)).toThrow(/not an IPv4/);
    expect(() => buildVolumeXml({ ...S.rawVolume(), name: "../etc" })).toThrow(/plain file name/);
    expect(() => buildVolumeXml({ ...S.rawVolume(), name: ".." })).toThrow(/plain file name/);
    expect(() => buildPoolXml({ ...S.dirPool(), path: "relative/dir" })).toThrow(/absolute/);
  });
});

describe("builder input errors", () => {
  it("a disk whose volume is not resolved", () => {
    expect(() => buildDomainXml(S.fullDomain(), { ...S.fullDomainCtx(), diskPaths: new Map() })).toThrow(
      /disks\[0\]: volume vft-fixture-pool\/over.qcow2 is not resolved/,
    );
  });
  it("an overlay without backing path/format, or not qcow2", () => {
    expect(() => buildVolumeXml(S.overlayVolume())).toThrow(/backing volume base.qcow2 is not resolved/);
    expect(() =>
      buildVolumeXml({ ...S.overlayVolume(), format: "raw" }, { backingPath: "/b", backingFormat: "qcow2" }),
    ).toThrow(/must be qcow2/);
  });
  it("bridge mode needs a bridge and takes no ipv4", () => {
    expect(() => buildNetworkXml({ ...S.bridgeNetwork(), bridge: null })).toThrow(/existing host bridge/);
    expect(() => buildNetworkXml({ ...S.bridgeNetwork(), ipv4: S.natNetwork().ipv4 })).toThrow(/cannot have ipv4/);
  });
  it("non-positive vcpus/memory/capacity", () => {
    expect(() => buildDomainXml({ ...S.tinyDomain(), vcpus: 0 }, S.tinyDomainCtx())).toThrow(/vcpus/);
    expect(() => buildDomainXml({ ...S.tinyDomain(), memoryBytes: 1.5 }, S.tinyDomainCtx())).toThrow(/memoryBytes/);
    expect(() => buildVolumeXml({ ...S.rawVolume(), capacityBytes: -1 })).toThrow(/capacityBytes/);
  });
});
