/** Specs shared by the XML unit tests and the fixture capture (test/integration/xml/capture-fixtures.test.ts). */
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import type { NetworkSpec } from "../../../kinds/network/spec.js";
import type { PoolSpec } from "../../../kinds/pool/spec.js";
import type { VolumeSpec } from "../../../kinds/volume/spec.js";
import type { DomainBuildContext } from "../../../kinds/index.js";

export const FIXTURE_POOL_PATH = "/var/lib/libvirt/vft-fixture-pool";

export function fullDomain(): DomainSpec {
  return {
    name: "vft-fixture-full",
    vcpus: 2,
    memoryBytes: 96 * 1024 * 1024,
    cpu: "host-model",
    machine: "q35",
    disks: [
      { pool: "vft-fixture-pool", volume: "over.qcow2", bus: "virtio" },
      { pool: "vft-fixture-pool", volume: "data.raw", bus: "sata" },
      { pool: "vft-fixture-pool", volume: "base.qcow2", bus: "virtio" },
    ],
    cdroms: [{ path: "/var/lib/libvirt/images/vft-fixture.iso" }, { pool: "vft-fixture-pool", volume: "seed.iso" }],
    interfaces: [
      { network: "vft-fixture-nat", model: "virtio", mac: "52:54:00:AA:10:01" },
      { network: "vft-fixture-nat", model: "e1000", mac: "52:54:00:aa:10:02" },
    ],
    cloudInit: null,
    graphics: "vnc",
    autostart: true,
    state: "running",
    restartOnChange: false,
  };
}

export function tinyDomain(): DomainSpec {
  return {
    name: "vft-fixture-tiny",
    vcpus: 1,
    memoryBytes: 64 * 1024 * 1024,
    cpu: "host-passthrough",
    machine: null,
    disks: [],
    cdroms: [],
    interfaces: [],
    cloudInit: null,
    graphics: "none",
    autostart: false,
    state: "shutoff",
    restartOnChange: false,
  };
}

export function fullDomainCtx(): DomainBuildContext {
  return {
    domainType: "kvm",
    diskPaths: new Map([
      ["vft-fixture-pool/over.qcow2", { path: `${FIXTURE_POOL_PATH}/over.qcow2`, format: "qcow2" }],
      ["vft-fixture-pool/data.raw", { path: `${FIXTURE_POOL_PATH}/data.raw`, format: "raw" }],
      ["vft-fixture-pool/base.qcow2", { path: `${FIXTURE_POOL_PATH}/base.qcow2`, format: "qcow2" }],
    ]),
    cdromPaths: new Map([["vft-fixture-pool/seed.iso", { path: `${FIXTURE_POOL_PATH}/seed.iso`, format: "raw" }]]),
    specHash: "0".repeat(63) + "1",
    policy: "fixture-policy",
  };
}

export function tinyDomainCtx(): DomainBuildContext {
  return {
    domainType: "kvm",
    diskPaths: new Map(),
    specHash: "f".repeat(64),
    cpuDisabledFeatures: ["arch-capabilities"],
  };
}

export function natNetwork(): NetworkSpec {
  return {
    name: "vft-fixture-nat",
    mode: "nat",
    bridge: "vftxfix0",
    ipv4: {
      address: "192.168.250.1",
      prefix: 24,
      dhcp: {
        start: "192.168.250.100",
        end: "192.168.250.200",
        hosts: [
          { mac: "52:54:00:AA:10:01", ip: "192.168.250.11", name: "full" },
          { mac: "52:54:00:aa:10:02", ip: "192.168.250.12", name: null },
        ],
      },
    },
    mtu: 1400,
    autostart: true,
    state: "active",
  };
}

export function isolatedNetwork(): NetworkSpec {
  return {
    name: "vft-fixture-iso",
    mode: "isolated",
    bridge: null,
    ipv4: { address: "192.168.251.1", prefix: 25, dhcp: null },
    mtu: null,
    autostart: false,
    state: "inactive",
  };
}

export function routeNetwork(): NetworkSpec {
  return {
    name: "vft-fixture-route",
    mode: "route",
    bridge: "vftxfix1",
    ipv4: { address: "192.168.252.1", prefix: 24, dhcp: { start: "192.168.252.10", end: "192.168.252.20", hosts: [] } },
    mtu: null,
    autostart: false,
    state: "inactive",
  };
}

export function bridgeNetwork(): NetworkSpec {
  return {
    name: "vft-fixture-br",
    mode: "bridge",
    bridge: "vftxfixbr",
    ipv4: null,
    mtu: null,
    autostart: false,
    state: "inactive",
  };
}

export function dirPool(): PoolSpec {
  return { name: "vft-fixture-pool", type: "dir", path: FIXTURE_POOL_PATH, autostart: false, state: "active" };
}

export function baseVolume(): VolumeSpec {
  // 1000 bytes: libvirt/qemu-img round a qcow2 capacity up to 1024.
  return {
    name: "base.qcow2",
    pool: "vft-fixture-pool",
    format: "qcow2",
    capacityBytes: 1000,
    backingVolume: null,
    source: null,
    state: "present",
  };
}

export function overlayVolume(): VolumeSpec {
  return {
    name: "over.qcow2",
    pool: "vft-fixture-pool",
    format: "qcow2",
    capacityBytes: 2 * 1024 * 1024,
    backingVolume: "base.qcow2",
    source: null,
    state: "present",
  };
}

export function rawVolume(): VolumeSpec {
  return {
    name: "data.raw",
    pool: "vft-fixture-pool",
    format: "raw",
    capacityBytes: 1024 * 1024,
    backingVolume: null,
    source: null,
    state: "present",
  };
}
