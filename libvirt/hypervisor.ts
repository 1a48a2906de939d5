/**
 * `Hypervisor`: the friendly facade the engine and the facts collector use.
 *
 * Objects are selected by name or by the ref a previous call returned; passing a ref
 * saves the lookup round trip. Flags are expressed as options. Errors are the typed
 * errors of ./errors.js (`isNotFound(err)` works for missing objects).
 */
import { LibvirtConnection } from "./rpc/connection.js";
import type { ConnectionOptions } from "./rpc/options.js";
import type { ConnectionState, StateChange } from "./rpc/state.js";
import {
  DOMAIN_STATES,
  DomainAffect,
  DomainDefineFlags,
  DomainMemoryFlags,
  DomainMetadataType,
  DomainUndefineFlags,
  DomainVcpuFlags,
  DomainXmlFlags,
  NetworkUpdateCommand,
  NetworkUpdateSection,
  NetworkXmlFlags,
  POOL_STATES,
  SecretUsageType,
  StorageVolResizeFlags,
  StorageXmlFlags,
  VOL_TYPES,
  type DomainStateName,
  type PoolStateName,
} from "./constants.js";
import { ErrorCode, isPoolBusy, libvirtCodeOf } from "./errors.js";
import {
  ALL_EVENT_SOURCES,
  DEFAULT_EVENT_BUFFER,
  EventHub,
  type EventSource,
  type EventSubscription,
} from "./events.js";
import { LibvirtRemote, type NodeInfo } from "./remote.js";
import type { DomainRef, NetworkRef, PoolRef, SecretRef, VolumeRef } from "./types.js";

const SECRET_USAGE_CODES: Record<SecretUsageName, number> = {
  volume: SecretUsageType.VOLUME,
  ceph: SecretUsageType.CEPH,
  iscsi: SecretUsageType.ISCSI,
  tls: SecretUsageType.TLS,
  vtpm: SecretUsageType.VTPM,
};

/** How long refreshPool waits for a pool busy with another volume's job before giving up. */
export const POOL_BUSY_WAIT_MS = 30_000;

/** The secret usage types virtfleet manages (SecretUsageType). */
export type SecretUsageName = "volume" | "ceph" | "iscsi" | "tls" | "vtpm";

export type DomainSelector = string | DomainRef;
export type NetworkSelector = string | NetworkRef;
export type PoolSelector = string | PoolRef;
/** A volume ref, or a pool and a volume name to look up. */
export type VolumeSelector = VolumeRef | { pool: PoolSelector; name: string };

export interface HypervisorOptions extends ConnectionOptions {
  /** Per-subscriber event buffer before overflow; default 10 000. */
  eventBuffer?: number;
}

export interface AffectOptions {
  /** Change the running object. */
  live?: boolean;
  /** Change the persistent configuration. */
  config?: boolean;
}

export interface VersionInfo {
  /** libvirt (daemon library) version, `major.minor.micro`. */
  libvirt: string;
  /** Hypervisor driver type, e.g. `QEMU`. */
  hypervisor: string;
  /** Hypervisor version, e.g. `7.2.0`. */
  hypervisorVersion: string;
}

export interface DomainState {
  state: DomainStateName | "unknown";
  stateCode: number;
  /** Reason code (virDomain<State>Reason for the state). */
  reason: number;
}

export interface PoolInfo {
  state: PoolStateName | "unknown";
  capacity: number;
  allocation: number;
  available: number;
}

export interface VolumeInfo {
  type: (typeof VOL_TYPES)[number] | "unknown";
  capacity: number;
  allocation: number;
}

export type MetadataType = "description" | "title" | "element";

/** Formats libvirt's major*1e6 + minor*1e3 + micro version number. */
export function formatVersion(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1_000) % 1_000}.${v % 1_000}`;
}

function affectFlags(o: AffectOptions | undefined): number {
  return (o?.live ? DomainAffect.LIVE : 0) | (o?.config ? DomainAffect.CONFIG : 0);
}

function metadataTypeCode(t: MetadataType): number {
  return t === "description"
    ? DomainMetadataType.DESCRIPTION
    : t === "title"
      ? DomainMetadataType.TITLE
      : DomainMetadataType.ELEMENT;
}

export class Hypervisor {
  readonly remote: LibvirtRemote;
  private readonly hub: EventHub;
  private readonly eventBuffer: number;

  /** Opens a connection (see `LibvirtConnection.open`) and wraps it. */
  static async open(options: HypervisorOptions = {}): Promise<Hypervisor> {
    return new Hypervisor(await LibvirtConnection.open(options), options);
  }

  constructor(
    readonly connection: LibvirtConnection,
    options: { eventBuffer?: number } = {},
  ) {
    this.remote = new LibvirtRemote(connection);
    this.hub = new EventHub(connection, this.remote);
    this.eventBuffer = options.eventBuffer ?? DEFAULT_EVENT_BUFFER;
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  onStateChange(listener: (change: StateChange) => void): () => void {
    return this.connection.onStateChange(listener);
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  // ---- host ----

  async version(): Promise<VersionInfo> {
    const [lib, type, hv] = await Promise.all([
      this.remote.connectGetLibVersion(),
      this.remote.connectGetType(),
      this.remote.connectGetVersion(),
    ]);
    return { libvirt: formatVersion(lib), hypervisor: type, hypervisorVersion: formatVersion(hv) };
  }

  hostname(): Promise<string> {
    return this.remote.connectGetHostname();
  }

  nodeInfo(): Promise<NodeInfo> {
    return this.remote.nodeGetInfo();
  }

  /** The capabilities XML (see ./capabilities.ts `parseCapabilities` for reading it). */
  capabilitiesXml(): Promise<string> {
    return this.remote.connectGetCapabilities();
  }

  /** Maximum vCPUs a guest of domain `type` (e.g. `kvm`; null: the driver's default) may have. */
  maxVcpus(type: string | null): Promise<number> {
    return this.remote.connectGetMaxVcpus(type);
  }

  // ---- domains ----

  /** All domains (or those matching virConnectListAllDomainsFlags `flags`). */
  domains(flags = 0): Promise<DomainRef[]> {
    return this.remote.connectListAllDomains(flags);
  }

  domain(name: string): Promise<DomainRef> {
    return this.remote.domainLookupByName(name);
  }

  domainByUuid(uuid: string): Promise<DomainRef> {
    return this.remote.domainLookupByUuid(uuid);
  }

  private dom(d: DomainSelector): Promise<DomainRef> {
    return typeof d === "string" ? this.remote.domainLookupByName(d) : Promise.resolve(d);
  }

  async domainXml(d: DomainSelector, o: { inactive?: boolean; secure?: boolean } = {}): Promise<string> {
    const flags = (o.inactive ? DomainXmlFlags.INACTIVE : 0) | (o.secure ? DomainXmlFlags.SECURE : 0);
    return this.remote.domainGetXmlDesc(await this.dom(d), flags);
  }

  /** Defines (or redefines) a persistent domain; validates against the schema unless `validate: false`. */
  defineDomain(xml: string, o: { validate?: boolean } = {}): Promise<DomainRef> {
    return this.remote.domainDefineXmlFlags(xml, o.validate === false ? 0 : DomainDefineFlags.VALIDATE);
  }

  /** Removes the persistent definition; by default also its NVRAM, vTPM state and snapshot/checkpoint metadata. */
  async undefineDomain(
    d: DomainSelector,
    o: { nvram?: boolean; managedSave?: boolean; metadata?: boolean } = {},
  ): Promise<void> {
    const flags =
      (o.nvram === false ? 0 : DomainUndefineFlags.NVRAM | DomainUndefineFlags.TPM) |
      (o.managedSave === false ? 0 : DomainUndefineFlags.MANAGED_SAVE) |
      (o.metadata === false ? 0 : DomainUndefineFlags.SNAPSHOTS_METADATA | DomainUndefineFlags.CHECKPOINTS_METADATA);
    return this.remote.domainUndefineFlags(await this.dom(d), flags);
  }

  /** Starts a defined domain; returns the ref with its running id. */
  async startDomain(d: DomainSelector): Promise<DomainRef> {
    return this.remote.domainCreateWithFlags(await this.dom(d), 0);
  }

  /** Asks the guest to shut down (ACPI); returns before the guest has stopped. */
  async shutdownDomain(d: DomainSelector): Promise<void> {
    return this.remote.domainShutdownFlags(await this.dom(d), 0);
  }

  /** Stops the domain immediately (power off). */
  async destroyDomain(d: DomainSelector, o: { graceful?: boolean } = {}): Promise<void> {
    return this.remote.domainDestroyFlags(await this.dom(d), o.graceful ? 1 : 0);
  }

  async suspendDomain(d: DomainSelector): Promise<void> {
    return this.remote.domainSuspend(await this.dom(d));
  }

  async resumeDomain(d: DomainSelector): Promise<void> {
    return this.remote.domainResume(await this.dom(d));
  }

  async domainState(d: DomainSelector): Promise<DomainState> {
    const s = await this.remote.domainGetState(await this.dom(d));
    return { state: DOMAIN_STATES[s.state] ?? "unknown", stateCode: s.state, reason: s.reason };
  }

  async domainIsActive(d: DomainSelector): Promise<boolean> {
    return this.remote.domainIsActive(await this.dom(d));
  }

  async domainAutostart(d: DomainSelector): Promise<boolean> {
    return this.remote.domainGetAutostart(await this.dom(d));
  }

  async setDomainAutostart(d: DomainSelector, autostart: boolean): Promise<void> {
    return this.remote.domainSetAutostart(await this.dom(d), autostart);
  }

  /** Sets the vCPU count (or, with `maximum`, the maximum) for the live and/or config domain. */
  async setDomainVcpus(d: DomainSelector, count: number, o: AffectOptions & { maximum?: boolean } = {}): Promise<void> {
    return this.remote.domainSetVcpusFlags(
      await this.dom(d),
      count,
      affectFlags(o) | (o.maximum ? DomainVcpuFlags.MAXIMUM : 0),
    );
  }

  /** Sets memory in KiB (or, with `maximum`, the maximum memory). */
  async setDomainMemory(d: DomainSelector, kib: number, o: AffectOptions & { maximum?: boolean } = {}): Promise<void> {
    return this.remote.domainSetMemoryFlags(
      await this.dom(d),
      kib,
      affectFlags(o) | (o.maximum ? DomainMemoryFlags.MAXIMUM : 0),
    );
  }

  async attachDevice(d: DomainSelector, xml: string, o: AffectOptions = {}): Promise<void> {
    return this.remote.domainAttachDeviceFlags(await this.dom(d), xml, affectFlags(o));
  }

  async detachDevice(d: DomainSelector, xml: string, o: AffectOptions = {}): Promise<void> {
    return this.remote.domainDetachDeviceFlags(await this.dom(d), xml, affectFlags(o));
  }

  async updateDevice(d: DomainSelector, xml: string, o: AffectOptions = {}): Promise<void> {
    return this.remote.domainUpdateDeviceFlags(await this.dom(d), xml, affectFlags(o));
  }

  /**
   * Sets (or with `value: null` removes) description, title, or an `element` in the
   * namespace `uri` stored under prefix `key`.
   */
  async setDomainMetadata(
    d: DomainSelector,
    m: { type: MetadataType; value: string | null; key?: string; uri?: string } & AffectOptions,
  ): Promise<void> {
    return this.remote.domainSetMetadata(await this.dom(d), {
      type: metadataTypeCode(m.type),
      metadata: m.value,
      key: m.key ?? null,
      uri: m.uri ?? null,
      flags: affectFlags(m),
    });
  }

  /** Reads metadata; null when the domain has none of that kind. */
  async domainMetadata(
    d: DomainSelector,
    m: { type: MetadataType; uri?: string; inactive?: boolean },
  ): Promise<string | null> {
    try {
      return await this.remote.domainGetMetadata(
        await this.dom(d),
        metadataTypeCode(m.type),
        m.uri ?? null,
        m.inactive ? DomainAffect.CONFIG : 0,
      );
    } catch (err) {
      if (libvirtCodeOf(err) === ErrorCode.NO_DOMAIN_METADATA) return null;
      throw err;
    }
  }

  // ---- networks ----

  networks(flags = 0): Promise<NetworkRef[]> {
    return this.remote.connectListAllNetworks(flags);
  }

  network(name: string): Promise<NetworkRef> {
    return this.remote.networkLookupByName(name);
  }

  private net(n: NetworkSelector): Promise<NetworkRef> {
    return typeof n === "string" ? this.remote.networkLookupByName(n) : Promise.resolve(n);
  }

  async networkXml(n: NetworkSelector, o: { inactive?: boolean } = {}): Promise<string> {
    return this.remote.networkGetXmlDesc(await this.net(n), o.inactive ? NetworkXmlFlags.INACTIVE : 0);
  }

  defineNetwork(xml: string): Promise<NetworkRef> {
    return this.remote.networkDefineXml(xml);
  }

  async undefineNetwork(n: NetworkSelector): Promise<void> {
    return this.remote.networkUndefine(await this.net(n));
  }

  async startNetwork(n: NetworkSelector): Promise<void> {
    return this.remote.networkCreate(await this.net(n));
  }

  async destroyNetwork(n: NetworkSelector): Promise<void> {
    return this.remote.networkDestroy(await this.net(n));
  }

  async networkIsActive(n: NetworkSelector): Promise<boolean> {
    return this.remote.networkIsActive(await this.net(n));
  }

  async networkAutostart(n: NetworkSelector): Promise<boolean> {
    return this.remote.networkGetAutostart(await this.net(n));
  }

  async setNetworkAutostart(n: NetworkSelector, autostart: boolean): Promise<void> {
    return this.remote.networkSetAutostart(await this.net(n), autostart);
  }

  async networkBridge(n: NetworkSelector): Promise<string> {
    return this.remote.networkGetBridgeName(await this.net(n));
  }

  /**
   * virNetworkUpdate (argument order corrected for older daemons). `parentIndex` -1
   * means "the only/first" parent, e.g. the network's single `<ip>`.
   */
  async updateNetwork(
    n: NetworkSelector,
    u: {
      command: keyof typeof NetworkUpdateCommand;
      section: keyof typeof NetworkUpdateSection;
      xml: string;
      parentIndex?: number;
    } & AffectOptions,
  ): Promise<void> {
    return this.remote.networkUpdateCompat(await this.net(n), {
      command: NetworkUpdateCommand[u.command],
      section: NetworkUpdateSection[u.section],
      parentIndex: u.parentIndex ?? -1,
      xml: u.xml,
      flags: affectFlags(u),
    });
  }

  // ---- secrets ----
  // Contract: a secret's value is written (setSecretValue) and never read back; there is
  // no getter for it here or in LibvirtRemote.

  /** The secret with this usage, or a LibvirtError (isNotFound) when there is none. */
  secretByUsage(usage: SecretUsageName, usageId: string): Promise<SecretRef> {
    return this.remote.secretLookupByUsage(SECRET_USAGE_CODES[usage], usageId);
  }

  secretByUuid(uuid: string): Promise<SecretRef> {
    return this.remote.secretLookupByUuid(uuid);
  }

  defineSecret(xml: string): Promise<SecretRef> {
    return this.remote.secretDefineXml(xml, 0);
  }

  secretXml(s: SecretRef): Promise<string> {
    return this.remote.secretGetXmlDesc(s, 0);
  }

  setSecretValue(s: SecretRef, value: Uint8Array): Promise<void> {
    return this.remote.secretSetValue(s, value, 0);
  }

  undefineSecret(s: SecretRef): Promise<void> {
    return this.remote.secretUndefine(s);
  }

  // ---- storage pools ----

  pools(flags = 0): Promise<PoolRef[]> {
    return this.remote.connectListAllStoragePools(flags);
  }

  pool(name: string): Promise<PoolRef> {
    return this.remote.storagePoolLookupByName(name);
  }

  private poolRef(p: PoolSelector): Promise<PoolRef> {
    return typeof p === "string" ? this.remote.storagePoolLookupByName(p) : Promise.resolve(p);
  }

  async poolXml(p: PoolSelector, o: { inactive?: boolean } = {}): Promise<string> {
    return this.remote.storagePoolGetXmlDesc(await this.poolRef(p), o.inactive ? StorageXmlFlags.INACTIVE : 0);
  }

  definePool(xml: string): Promise<PoolRef> {
    return this.remote.storagePoolDefineXml(xml, 0);
  }

  /** Builds the pool's storage (for dir pools: creates the directory). `flags`: virStoragePoolBuildFlags. */
  async buildPool(p: PoolSelector, flags = 0): Promise<void> {
    return this.remote.storagePoolBuild(await this.poolRef(p), flags);
  }

  async startPool(p: PoolSelector): Promise<void> {
    return this.remote.storagePoolCreate(await this.poolRef(p), 0);
  }

  async destroyPool(p: PoolSelector): Promise<void> {
    return this.remote.storagePoolDestroy(await this.poolRef(p));
  }

  /** Deletes the pool's storage (for dir pools: removes the empty directory). */
  async deletePool(p: PoolSelector): Promise<void> {
    return this.remote.storagePoolDelete(await this.poolRef(p), 0);
  }

  async undefinePool(p: PoolSelector): Promise<void> {
    return this.remote.storagePoolUndefine(await this.poolRef(p));
  }

  async poolIsActive(p: PoolSelector): Promise<boolean> {
    return this.remote.storagePoolIsActive(await this.poolRef(p));
  }

  async poolAutostart(p: PoolSelector): Promise<boolean> {
    return this.remote.storagePoolGetAutostart(await this.poolRef(p));
  }

  async setPoolAutostart(p: PoolSelector, autostart: boolean): Promise<void> {
    return this.remote.storagePoolSetAutostart(await this.poolRef(p), autostart);
  }

  /**
   * Rescans the pool's target. Contract: while another volume of the pool is being created or
   * uploaded, libvirt refuses ("asynchronous jobs running", see isPoolBusy); that is waited for
   * (retried with backoff from 50 ms to 1 s) for up to `busyWaitMs` (default
   * POOL_BUSY_WAIT_MS), then the refusal is thrown.
   */
  async refreshPool(p: PoolSelector, o: { busyWaitMs?: number } = {}): Promise<void> {
    const ref = await this.poolRef(p);
    const deadline = Date.now() + (o.busyWaitMs ?? POOL_BUSY_WAIT_MS);
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        return await this.remote.storagePoolRefresh(ref);
      } catch (err) {
        if (!isPoolBusy(err) || Date.now() + delay > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async poolInfo(p: PoolSelector): Promise<PoolInfo> {
    const i = await this.remote.storagePoolGetInfo(await this.poolRef(p));
    return {
      state: POOL_STATES[i.state] ?? "unknown",
      capacity: i.capacity,
      allocation: i.allocation,
      available: i.available,
    };
  }

  // ---- storage volumes ----

  async volumes(p: PoolSelector): Promise<VolumeRef[]> {
    return this.remote.storagePoolListAllVolumes(await this.poolRef(p), 0);
  }

  async volume(p: PoolSelector, name: string): Promise<VolumeRef> {
    return this.remote.storageVolLookupByName(await this.poolRef(p), name);
  }

  private async vol(v: VolumeSelector): Promise<VolumeRef> {
    if ("key" in v) return v;
    return this.volume(v.pool, v.name);
  }

  async volumeXml(v: VolumeSelector): Promise<string> {
    return this.remote.storageVolGetXmlDesc(await this.vol(v), 0);
  }

  /** Creates a volume in `p` from XML. `flags`: virStorageVolCreateFlags. */
  async createVolume(p: PoolSelector, xml: string, flags = 0): Promise<VolumeRef> {
    return this.remote.storageVolCreateXml(await this.poolRef(p), xml, flags);
  }

  /** Creates a volume in `p` from XML, copying the content of `from`. */
  async cloneVolume(p: PoolSelector, xml: string, from: VolumeSelector, flags = 0): Promise<VolumeRef> {
    const [pool, source] = await Promise.all([this.poolRef(p), this.vol(from)]);
    return this.remote.storageVolCreateXmlFrom(pool, xml, source, flags);
  }

  async deleteVolume(v: VolumeSelector): Promise<void> {
    return this.remote.storageVolDelete(await this.vol(v), 0);
  }

  async volumeInfo(v: VolumeSelector): Promise<VolumeInfo> {
    const i = await this.remote.storageVolGetInfo(await this.vol(v));
    return { type: VOL_TYPES[i.type] ?? "unknown", capacity: i.capacity, allocation: i.allocation };
  }

  async volumePath(v: VolumeSelector): Promise<string> {
    return this.remote.storageVolGetPath(await this.vol(v));
  }

  /** Resizes to `capacity` bytes (or by it, with `delta`). */
  async resizeVolume(
    v: VolumeSelector,
    capacity: number,
    o: { allocate?: boolean; delta?: boolean; shrink?: boolean } = {},
  ): Promise<void> {
    const flags =
      (o.allocate ? StorageVolResizeFlags.ALLOCATE : 0) |
      (o.delta ? StorageVolResizeFlags.DELTA : 0) |
      (o.shrink ? StorageVolResizeFlags.SHRINK : 0);
    return this.remote.storageVolResize(await this.vol(v), capacity, flags);
  }

  // ---- events ----

  /**
   * Domain, network and storage pool events until `signal` aborts (see ./events.ts for
   * the delivery contract). Await `.ready` before relying on events for changes you make.
   */
  events(signal: AbortSignal, o: { sources?: readonly EventSource[]; maxBuffered?: number } = {}): EventSubscription {
    return this.hub.subscribe(o.sources ?? ALL_EVENT_SOURCES, signal, o.maxBuffered ?? this.eventBuffer);
  }
}
