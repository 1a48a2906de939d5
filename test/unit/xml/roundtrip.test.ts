import { describe, expect, it } from "vitest";
import {
  buildDomainXml,
  buildNetworkXml,
  buildPoolXml,
  buildVolumeXml,
  diffDomain,
  diffNetwork,
  diffPool,
  diffVolume,
  parseDomainXml,
  parseNetworkXml,
  parsePoolXml,
  parseVolumeXml,
} from "../../../kinds/index.js";
import { fixture } from "./fixtures.js";
import * as S from "./specs.js";

describe("build → parse round trip (no libvirt)", () => {
  it("domain: every spec field reads back and diffs to nothing", () => {
    const spec = S.fullDomain();
    const parsed = parseDomainXml(
      buildDomainXml(spec, { ...S.fullDomainCtx(), uuid: "E5570718-2B54-4544-91BE-17537B731405" }),
    );
    expect(parsed).toMatchObject({
      name: spec.name,
      uuid: "e5570718-2b54-4544-91be-17537b731405",
      domainType: "kvm",
      vcpus: 2,
      maxVcpus: 2,
      memoryBytes: spec.memoryBytes,
      currentMemoryBytes: spec.memoryBytes,
      cpu: "host-model",
      machine: "q35",
      specHash: S.fullDomainCtx().specHash,
      policy: "fixture-policy",
    });
    expect(parsed.disks.map((d) => [d.target, d.bus, d.pool, d.volume, d.format])).toEqual([
      ["vda", "virtio", "vft-fixture-pool", "over.qcow2", "qcow2"],
      ["sda", "sata", "vft-fixture-pool", "data.raw", "raw"],
      ["vdb", "virtio", "vft-fixture-pool", "base.qcow2", "qcow2"],
    ]);
    expect(parsed.cdroms.map((d) => [d.target, d.path ?? `${d.pool}/${d.volume}`])).toEqual([
      ["sdb", "/var/lib/libvirt/images/vft-fixture.iso"],
      ["sdc", "vft-fixture-pool/seed.iso"],
    ]);
    expect(parsed.interfaces).toMatchObject([
      { mac: "52:54:00:aa:10:01", type: "network", network: "vft-fixture-nat", model: "virtio" },
      { mac: "52:54:00:aa:10:02", type: "network", network: "vft-fixture-nat", model: "e1000" },
    ]);
    expect(parsed.graphics).toEqual([{ type: "vnc", listen: "127.0.0.1" }]);
    expect(diffDomain(spec, parsed, true, { specHash: S.fullDomainCtx().specHash, domainType: "kvm" })).toEqual([]);
  });

  it("domain: tiny diskless guest with no graphics and no machine", () => {
    const parsed = parseDomainXml(buildDomainXml(S.tinyDomain(), S.tinyDomainCtx()));
    expect(parsed.graphics).toEqual([]);
    expect(parsed.machine).toBeNull();
    expect(parsed.cpuDisabledFeatures).toEqual(["arch-capabilities"]);
    expect(diffDomain(S.tinyDomain(), parsed, false)).toEqual([]);
  });

  it("memory that is not a whole KiB is rounded up consistently", () => {
    const spec = { ...S.tinyDomain(), memoryBytes: 64 * 1024 * 1024 + 1 };
    const parsed = parseDomainXml(buildDomainXml(spec, S.tinyDomainCtx()));
    expect(parsed.memoryBytes).toBe(64 * 1024 * 1024 + 1024);
    expect(diffDomain(spec, parsed, true)).toEqual([]);
  });

  it("networks of every mode", () => {
    for (const spec of [S.natNetwork(), S.isolatedNetwork(), S.routeNetwork(), S.bridgeNetwork()]) {
      const parsed = parseNetworkXml(buildNetworkXml(spec, { uuid: "8182c47d-3ef5-4267-a9ca-4f57e94acc21" }));
      expect(parsed.mode).toBe(spec.mode);
      expect(parsed.uuid).toBe("8182c47d-3ef5-4267-a9ca-4f57e94acc21");
      expect(diffNetwork(spec, parsed, true)).toEqual([]);
    }
    const nat = parseNetworkXml(buildNetworkXml(S.natNetwork()));
    expect(nat).toMatchObject({ bridge: "vftxfix0", stp: true, delay: 0, mtu: 1400 });
    expect(nat.ipv4?.dhcp?.hosts).toEqual([
      { mac: "52:54:00:aa:10:01", ip: "192.168.250.11", name: "full" },
      { mac: "52:54:00:aa:10:02", ip: "192.168.250.12", name: null },
    ]);
    const br = parseNetworkXml(buildNetworkXml(S.bridgeNetwork()));
    expect(br).toMatchObject({ bridge: "vftxfixbr", stp: null, delay: null, ipv4: null });
  });

  it("pool and volumes", () => {
    const pool = parsePoolXml(buildPoolXml(S.dirPool()));
    expect(pool).toEqual({ name: "vft-fixture-pool", uuid: null, type: "dir", path: S.FIXTURE_POOL_PATH, source: {} });
    expect(diffPool(S.dirPool(), pool)).toEqual([]);
    const over = parseVolumeXml(
      buildVolumeXml(S.overlayVolume(), { backingPath: `${S.FIXTURE_POOL_PATH}/base.qcow2`, backingFormat: "qcow2" }),
    );
    expect(over).toMatchObject({
      capacityBytes: 2 * 1024 * 1024,
      format: "qcow2",
      backingPath: `${S.FIXTURE_POOL_PATH}/base.qcow2`,
      backingFormat: "qcow2",
    });
    expect(
      diffVolume(S.overlayVolume(), over, { backingPath: `${S.FIXTURE_POOL_PATH}/base.qcow2`, backingFormat: "qcow2" }),
    ).toEqual([]);
    expect(diffVolume(S.rawVolume(), parseVolumeXml(buildVolumeXml(S.rawVolume())))).toEqual([]);
  });
});

describe("XML as stored by libvirtd 9.0 (fixtures): nothing libvirt adds counts as drift", () => {
  it("full domain: addresses, controllers, serial/console, video, memballoon, uuid, machine expansion, disk reordering", () => {
    const parsed = parseDomainXml(fixture("domain-full.xml"));
    expect(parsed.machine).toBe("pc-q35-7.2");
    expect(parsed.uuid).toBe("e5570718-2b54-4544-91be-17537b731405");
    // libvirt sorts disks by bus: vda, vdb, then sda — matching is by target, not position.
    expect(parsed.disks.map((d) => d.target)).toEqual(["vda", "vdb", "sda"]);
    expect(
      diffDomain(S.fullDomain(), parsed, true, {
        uuid: parsed.uuid!,
        domainType: "kvm",
        specHash: S.fullDomainCtx().specHash,
        diskPaths: S.fullDomainCtx().diskPaths,
      }),
    ).toEqual([]);
    expect(diffDomain(S.fullDomain(), parsed, false)).toEqual([]);
  });

  it("tiny domain, inactive and live XML", () => {
    for (const file of ["domain-tiny.xml", "domain-tiny-live.xml"]) {
      const parsed = parseDomainXml(fixture(file));
      expect(parsed.machine).toBe("pc-i440fx-7.2");
      expect(parsed.cpu).toBe("host-passthrough");
      expect(diffDomain(S.tinyDomain(), parsed, true, { specHash: "f".repeat(64) })).toEqual([]);
    }
  });

  it("networks: uuid, bridge mac, stp/delay defaults", () => {
    expect(diffNetwork(S.natNetwork(), parseNetworkXml(fixture("network-nat.xml")), true)).toEqual([]);
    expect(diffNetwork(S.routeNetwork(), parseNetworkXml(fixture("network-route.xml")), true)).toEqual([]);
    expect(diffNetwork(S.bridgeNetwork(), parseNetworkXml(fixture("network-bridge.xml")), true)).toEqual([]);
    // A null bridge lets libvirt pick one (it wrote virbr0 at define time).
    const iso = parseNetworkXml(fixture("network-isolated.xml"));
    expect(iso.bridge).toBe("virbr0");
    expect(diffNetwork(S.isolatedNetwork(), iso, true)).toEqual([]);
  });

  it("pool: capacity, source, permissions ignored", () => {
    expect(diffPool(S.dirPool(), parsePoolXml(fixture("pool-dir.xml")))).toEqual([]);
  });

  it("volumes: qcow2 capacity rounded to 512, timestamps and permissions ignored", () => {
    const base = parseVolumeXml(fixture("volume-base.xml"));
    expect(base.capacityBytes).toBe(1024);
    expect(diffVolume(S.baseVolume(), base)).toEqual([]);
    const over = parseVolumeXml(fixture("volume-overlay.xml"));
    expect(diffVolume(S.overlayVolume(), over)).toEqual([]);
    expect(
      diffVolume(S.overlayVolume(), over, { backingPath: `${S.FIXTURE_POOL_PATH}/base.qcow2`, backingFormat: "qcow2" }),
    ).toEqual([]);
    expect(diffVolume(S.rawVolume(), parseVolumeXml(fixture("volume-raw.xml")))).toEqual([]);
  });
});
