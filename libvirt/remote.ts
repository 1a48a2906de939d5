/**
 * The raw REMOTE_PROGRAM procedures, one typed method each, named after the libvirt C
 * API they mirror. Arguments and results are the wire structs; no lookups, no caching.
 * Every method rejects with `LibvirtError` when libvirtd reports an error.
 */
import type { CallOptions } from "./rpc/calls.js";
import type { LibvirtConnection } from "./rpc/connection.js";
import { BLOCK_IO_TUNE_PARAMETERS_MAX, DrvFeature, LIST_MAX, Proc, SECRET_VALUE_MAX } from "./constants.js";
import { readTypedParams, writeTypedParams, type TypedParam } from "./typed-params.js";
import {
  MIN_DOMAIN_BYTES,
  MIN_NETWORK_BYTES,
  MIN_VOLUME_BYTES,
  readDomain,
  readNetwork,
  readPool,
  readSecret,
  readString,
  readVolume,
  uuidToBytes,
  writeDomain,
  writeNetwork,
  writeOptionalString,
  writePool,
  writeSecret,
  writeString,
  writeVolume,
  type DomainRef,
  type NetworkRef,
  type PoolRef,
  type SecretRef,
  type VolumeRef,
} from "./types.js";

export interface NodeInfo {
  model: string;
  /** KiB */
  memory: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface DomainStateReply {
  state: number;
  reason: number;
}

export interface PoolInfoReply {
  state: number;
  capacity: number;
  allocation: number;
  available: number;
}

export interface VolumeInfoReply {
  type: number;
  capacity: number;
  allocation: number;
}

export interface NetworkUpdateArgs {
  command: number;
  section: number;
  parentIndex: number;
  xml: string;
  flags: number;
}

export interface SetMetadataArgs {
  type: number;
  metadata: string | null;
  key: string | null;
  uri: string | null;
  flags: number;
}

export class LibvirtRemote {
  constructor(readonly conn: LibvirtConnection) {}

  // ---- connection / host ----

  connectGetType(o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.CONNECT_GET_TYPE, null, readString, o);
  }

  /** Hypervisor version as major*1e6 + minor*1e3 + micro. */
  connectGetVersion(o?: CallOptions): Promise<number> {
    return this.conn.call(Proc.CONNECT_GET_VERSION, null, (r) => r.uhyperNumber(), o);
  }

  connectGetLibVersion(o?: CallOptions): Promise<number> {
    return this.conn.call(Proc.CONNECT_GET_LIB_VERSION, null, (r) => r.uhyperNumber(), o);
  }

  connectGetHostname(o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.CONNECT_GET_HOSTNAME, null, readString, o);
  }

  connectGetCapabilities(o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.CONNECT_GET_CAPABILITIES, null, readString, o);
  }

  connectGetMaxVcpus(type: string | null, o?: CallOptions): Promise<number> {
    return this.conn.call(
      Proc.CONNECT_GET_MAX_VCPUS,
      (w) => writeOptionalString(w, type),
      (r) => r.int(),
      o,
    );
  }

  connectSupportsFeature(feature: number, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.CONNECT_SUPPORTS_FEATURE,
      (w) => w.int(feature),
      (r) => r.int() === 1,
      o,
    );
  }

  nodeGetInfo(o?: CallOptions): Promise<NodeInfo> {
    return this.conn.call(
      Proc.NODE_GET_INFO,
      null,
      (r) => {
        // char model[32]: XDR encodes each char as a 4-byte int
        const chars = r.fixedArray(32, (x) => x.int() & 0xff);
        const end = chars.indexOf(0);
        const model = Buffer.from(end < 0 ? chars : chars.slice(0, end)).toString("latin1");
        return {
          model,
          memory: r.uhyperNumber(),
          cpus: r.int(),
          mhz: r.int(),
          nodes: r.int(),
          sockets: r.int(),
          cores: r.int(),
          threads: r.int(),
        };
      },
      o,
    );
  }

  // ---- domains ----

  connectListAllDomains(flags: number, o?: CallOptions): Promise<DomainRef[]> {
    return this.conn.call(
      Proc.CONNECT_LIST_ALL_DOMAINS,
      (w) => {
        w.int(1);
        w.uint(flags);
      },
      (r) => {
        const list = r.array(LIST_MAX, readDomain, MIN_DOMAIN_BYTES);
        r.uint();
        return list;
      },
      o,
    );
  }

  domainLookupByName(name: string, o?: CallOptions): Promise<DomainRef> {
    return this.conn.call(Proc.DOMAIN_LOOKUP_BY_NAME, (w) => writeString(w, name), readDomain, o);
  }

  domainLookupByUuid(uuid: string, o?: CallOptions): Promise<DomainRef> {
    return this.conn.call(Proc.DOMAIN_LOOKUP_BY_UUID, (w) => w.fixedOpaque(uuidToBytes(uuid), 16), readDomain, o);
  }

  domainGetXmlDesc(dom: DomainRef, flags: number, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.DOMAIN_GET_XML_DESC, (w) => (writeDomain(w, dom), w.uint(flags)), readString, o);
  }

  domainDefineXmlFlags(xml: string, flags: number, o?: CallOptions): Promise<DomainRef> {
    return this.conn.call(Proc.DOMAIN_DEFINE_XML_FLAGS, (w) => (writeString(w, xml), w.uint(flags)), readDomain, o);
  }

  domainUndefineFlags(dom: DomainRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.DOMAIN_UNDEFINE_FLAGS, (w) => (writeDomain(w, dom), w.uint(flags)), null, o);
  }

  /** Starts a defined domain; returns the domain with its new id. */
  domainCreateWithFlags(dom: DomainRef, flags: number, o?: CallOptions): Promise<DomainRef> {
    return this.conn.call(Proc.DOMAIN_CREATE_WITH_FLAGS, (w) => (writeDomain(w, dom), w.uint(flags)), readDomain, o);
  }

  domainShutdownFlags(dom: DomainRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.DOMAIN_SHUTDOWN_FLAGS, (w) => (writeDomain(w, dom), w.uint(flags)), null, o);
  }

  domainDestroyFlags(dom: DomainRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.DOMAIN_DESTROY_FLAGS, (w) => (writeDomain(w, dom), w.uint(flags)), null, o);
  }

  domainSuspend(dom: DomainRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.DOMAIN_SUSPEND, (w) => writeDomain(w, dom), null, o);
  }

  domainResume(dom: DomainRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.DOMAIN_RESUME, (w) => writeDomain(w, dom), null, o);
  }

  domainGetState(dom: DomainRef, o?: CallOptions): Promise<DomainStateReply> {
    return this.conn.call(
      Proc.DOMAIN_GET_STATE,
      (w) => (writeDomain(w, dom), w.uint(0)),
      (r) => ({ state: r.int(), reason: r.int() }),
      o,
    );
  }

  domainIsActive(dom: DomainRef, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.DOMAIN_IS_ACTIVE,
      (w) => writeDomain(w, dom),
      (r) => r.int() === 1,
      o,
    );
  }

  domainGetAutostart(dom: DomainRef, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.DOMAIN_GET_AUTOSTART,
      (w) => writeDomain(w, dom),
      (r) => r.int() === 1,
      o,
    );
  }

  domainSetAutostart(dom: DomainRef, autostart: boolean, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.DOMAIN_SET_AUTOSTART, (w) => (writeDomain(w, dom), w.int(autostart ? 1 : 0)), null, o);
  }

  domainSetVcpusFlags(dom: DomainRef, nvcpus: number, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_SET_VCPUS_FLAGS,
      (w) => (writeDomain(w, dom), w.uint(nvcpus), w.uint(flags)),
      null,
      o,
    );
  }

  /** `memory` in KiB. */
  domainSetMemoryFlags(dom: DomainRef, memory: number, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_SET_MEMORY_FLAGS,
      (w) => (writeDomain(w, dom), w.uhyper(memory), w.uint(flags)),
      null,
      o,
    );
  }

  domainAttachDeviceFlags(dom: DomainRef, xml: string, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_ATTACH_DEVICE_FLAGS,
      (w) => (writeDomain(w, dom), writeString(w, xml), w.uint(flags)),
      null,
      o,
    );
  }

  domainDetachDeviceFlags(dom: DomainRef, xml: string, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_DETACH_DEVICE_FLAGS,
      (w) => (writeDomain(w, dom), writeString(w, xml), w.uint(flags)),
      null,
      o,
    );
  }

  domainUpdateDeviceFlags(dom: DomainRef, xml: string, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_UPDATE_DEVICE_FLAGS,
      (w) => (writeDomain(w, dom), writeString(w, xml), w.uint(flags)),
      null,
      o,
    );
  }

  /** remote_domain_set_block_io_tune_args: dom, disk, params, flags. */
  domainSetBlockIoTune(
    dom: DomainRef,
    disk: string,
    params: readonly TypedParam[],
    flags: number,
    o?: CallOptions,
  ): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_SET_BLOCK_IO_TUNE,
      (w) => {
        writeDomain(w, dom);
        writeString(w, disk);
        writeTypedParams(w, params, BLOCK_IO_TUNE_PARAMETERS_MAX);
        w.uint(flags);
      },
      null,
      o,
    );
  }

  /**
   * remote_domain_get_block_io_tune_args (dom, disk or null, nparams, flags) →
   * remote_domain_get_block_io_tune_ret (params, nparams). With `nparams` 0 libvirtd returns
   * no params and the count it has; ask again with that count for the values.
   */
  domainGetBlockIoTune(
    dom: DomainRef,
    disk: string | null,
    nparams: number,
    flags: number,
    o?: CallOptions,
  ): Promise<{ params: TypedParam[]; nparams: number }> {
    return this.conn.call(
      Proc.DOMAIN_GET_BLOCK_IO_TUNE,
      (w) => {
        writeDomain(w, dom);
        writeOptionalString(w, disk);
        w.int(nparams);
        w.uint(flags);
      },
      (r) => ({ params: readTypedParams(r, BLOCK_IO_TUNE_PARAMETERS_MAX), nparams: r.int() }),
      o,
    );
  }

  domainSetMetadata(dom: DomainRef, a: SetMetadataArgs, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.DOMAIN_SET_METADATA,
      (w) => {
        writeDomain(w, dom);
        w.int(a.type);
        writeOptionalString(w, a.metadata);
        writeOptionalString(w, a.key);
        writeOptionalString(w, a.uri);
        w.uint(a.flags);
      },
      null,
      o,
    );
  }

  domainGetMetadata(dom: DomainRef, type: number, uri: string | null, flags: number, o?: CallOptions): Promise<string> {
    return this.conn.call(
      Proc.DOMAIN_GET_METADATA,
      (w) => (writeDomain(w, dom), w.int(type), writeOptionalString(w, uri), w.uint(flags)),
      readString,
      o,
    );
  }

  // ---- networks ----

  connectListAllNetworks(flags: number, o?: CallOptions): Promise<NetworkRef[]> {
    return this.conn.call(
      Proc.CONNECT_LIST_ALL_NETWORKS,
      (w) => (w.int(1), w.uint(flags)),
      (r) => {
        const list = r.array(LIST_MAX, readNetwork, MIN_NETWORK_BYTES);
        r.uint();
        return list;
      },
      o,
    );
  }

  networkLookupByName(name: string, o?: CallOptions): Promise<NetworkRef> {
    return this.conn.call(Proc.NETWORK_LOOKUP_BY_NAME, (w) => writeString(w, name), readNetwork, o);
  }

  networkLookupByUuid(uuid: string, o?: CallOptions): Promise<NetworkRef> {
    return this.conn.call(Proc.NETWORK_LOOKUP_BY_UUID, (w) => w.fixedOpaque(uuidToBytes(uuid), 16), readNetwork, o);
  }

  networkGetXmlDesc(net: NetworkRef, flags: number, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.NETWORK_GET_XML_DESC, (w) => (writeNetwork(w, net), w.uint(flags)), readString, o);
  }

  networkDefineXml(xml: string, o?: CallOptions): Promise<NetworkRef> {
    return this.conn.call(Proc.NETWORK_DEFINE_XML, (w) => writeString(w, xml), readNetwork, o);
  }

  networkUndefine(net: NetworkRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.NETWORK_UNDEFINE, (w) => writeNetwork(w, net), null, o);
  }

  networkCreate(net: NetworkRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.NETWORK_CREATE, (w) => writeNetwork(w, net), null, o);
  }

  networkDestroy(net: NetworkRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.NETWORK_DESTROY, (w) => writeNetwork(w, net), null, o);
  }

  networkGetAutostart(net: NetworkRef, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.NETWORK_GET_AUTOSTART,
      (w) => writeNetwork(w, net),
      (r) => r.int() === 1,
      o,
    );
  }

  networkSetAutostart(net: NetworkRef, autostart: boolean, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.NETWORK_SET_AUTOSTART, (w) => (writeNetwork(w, net), w.int(autostart ? 1 : 0)), null, o);
  }

  networkIsActive(net: NetworkRef, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.NETWORK_IS_ACTIVE,
      (w) => writeNetwork(w, net),
      (r) => r.int() === 1,
      o,
    );
  }

  networkGetBridgeName(net: NetworkRef, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.NETWORK_GET_BRIDGE_NAME, (w) => writeNetwork(w, net), readString, o);
  }

  /**
   * NETWORK_UPDATE as it goes on the wire. Daemons without the
   * NETWORK_UPDATE_HAS_CORRECT_ORDER feature expect command and section swapped; use
   * `networkUpdateCompat` unless you know the daemon.
   */
  networkUpdate(net: NetworkRef, a: NetworkUpdateArgs, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.NETWORK_UPDATE,
      (w) => {
        writeNetwork(w, net);
        w.uint(a.command);
        w.uint(a.section);
        w.int(a.parentIndex);
        writeString(w, a.xml);
        w.uint(a.flags);
      },
      null,
      o,
    );
  }

  async networkUpdateCompat(net: NetworkRef, a: NetworkUpdateArgs, o?: CallOptions): Promise<void> {
    const correct = await this.connectSupportsFeature(DrvFeature.NETWORK_UPDATE_HAS_CORRECT_ORDER, o);
    const wire = correct ? a : { ...a, command: a.section, section: a.command };
    return this.networkUpdate(net, wire, o);
  }

  // ---- storage pools ----

  connectListAllStoragePools(flags: number, o?: CallOptions): Promise<PoolRef[]> {
    return this.conn.call(
      Proc.CONNECT_LIST_ALL_STORAGE_POOLS,
      (w) => (w.int(1), w.uint(flags)),
      (r) => {
        const list = r.array(LIST_MAX, readPool, MIN_NETWORK_BYTES);
        r.uint();
        return list;
      },
      o,
    );
  }

  storagePoolLookupByName(name: string, o?: CallOptions): Promise<PoolRef> {
    return this.conn.call(Proc.STORAGE_POOL_LOOKUP_BY_NAME, (w) => writeString(w, name), readPool, o);
  }

  storagePoolLookupByUuid(uuid: string, o?: CallOptions): Promise<PoolRef> {
    return this.conn.call(Proc.STORAGE_POOL_LOOKUP_BY_UUID, (w) => w.fixedOpaque(uuidToBytes(uuid), 16), readPool, o);
  }

  storagePoolGetXmlDesc(pool: PoolRef, flags: number, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.STORAGE_POOL_GET_XML_DESC, (w) => (writePool(w, pool), w.uint(flags)), readString, o);
  }

  storagePoolDefineXml(xml: string, flags: number, o?: CallOptions): Promise<PoolRef> {
    return this.conn.call(Proc.STORAGE_POOL_DEFINE_XML, (w) => (writeString(w, xml), w.uint(flags)), readPool, o);
  }

  storagePoolBuild(pool: PoolRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_POOL_BUILD, (w) => (writePool(w, pool), w.uint(flags)), null, o);
  }

  storagePoolCreate(pool: PoolRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_POOL_CREATE, (w) => (writePool(w, pool), w.uint(flags)), null, o);
  }

  storagePoolDestroy(pool: PoolRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_POOL_DESTROY, (w) => writePool(w, pool), null, o);
  }

  /** Deletes the pool's underlying storage (for dir pools: the directory). */
  storagePoolDelete(pool: PoolRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_POOL_DELETE, (w) => (writePool(w, pool), w.uint(flags)), null, o);
  }

  storagePoolUndefine(pool: PoolRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_POOL_UNDEFINE, (w) => writePool(w, pool), null, o);
  }

  storagePoolGetAutostart(pool: PoolRef, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.STORAGE_POOL_GET_AUTOSTART,
      (w) => writePool(w, pool),
      (r) => r.int() === 1,
      o,
    );
  }

  storagePoolSetAutostart(pool: PoolRef, autostart: boolean, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.STORAGE_POOL_SET_AUTOSTART,
      (w) => (writePool(w, pool), w.int(autostart ? 1 : 0)),
      null,
      o,
    );
  }

  storagePoolRefresh(pool: PoolRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_POOL_REFRESH, (w) => (writePool(w, pool), w.uint(0)), null, o);
  }

  storagePoolIsActive(pool: PoolRef, o?: CallOptions): Promise<boolean> {
    return this.conn.call(
      Proc.STORAGE_POOL_IS_ACTIVE,
      (w) => writePool(w, pool),
      (r) => r.int() === 1,
      o,
    );
  }

  storagePoolGetInfo(pool: PoolRef, o?: CallOptions): Promise<PoolInfoReply> {
    return this.conn.call(
      Proc.STORAGE_POOL_GET_INFO,
      (w) => writePool(w, pool),
      (r) => ({
        state: r.int(),
        capacity: r.uhyperNumber(),
        allocation: r.uhyperNumber(),
        available: r.uhyperNumber(),
      }),
      o,
    );
  }

  // ---- storage volumes ----

  storagePoolListAllVolumes(pool: PoolRef, flags: number, o?: CallOptions): Promise<VolumeRef[]> {
    return this.conn.call(
      Proc.STORAGE_POOL_LIST_ALL_VOLUMES,
      (w) => (writePool(w, pool), w.int(1), w.uint(flags)),
      (r) => {
        const list = r.array(LIST_MAX, readVolume, MIN_VOLUME_BYTES);
        r.uint();
        return list;
      },
      o,
    );
  }

  storageVolLookupByName(pool: PoolRef, name: string, o?: CallOptions): Promise<VolumeRef> {
    return this.conn.call(
      Proc.STORAGE_VOL_LOOKUP_BY_NAME,
      (w) => (writePool(w, pool), writeString(w, name)),
      readVolume,
      o,
    );
  }

  storageVolGetXmlDesc(vol: VolumeRef, flags: number, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.STORAGE_VOL_GET_XML_DESC, (w) => (writeVolume(w, vol), w.uint(flags)), readString, o);
  }

  storageVolCreateXml(pool: PoolRef, xml: string, flags: number, o?: CallOptions): Promise<VolumeRef> {
    return this.conn.call(
      Proc.STORAGE_VOL_CREATE_XML,
      (w) => (writePool(w, pool), writeString(w, xml), w.uint(flags)),
      readVolume,
      o,
    );
  }

  storageVolCreateXmlFrom(
    pool: PoolRef,
    xml: string,
    clone: VolumeRef,
    flags: number,
    o?: CallOptions,
  ): Promise<VolumeRef> {
    return this.conn.call(
      Proc.STORAGE_VOL_CREATE_XML_FROM,
      (w) => (writePool(w, pool), writeString(w, xml), writeVolume(w, clone), w.uint(flags)),
      readVolume,
      o,
    );
  }

  storageVolDelete(vol: VolumeRef, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.STORAGE_VOL_DELETE, (w) => (writeVolume(w, vol), w.uint(flags)), null, o);
  }

  storageVolGetInfo(vol: VolumeRef, o?: CallOptions): Promise<VolumeInfoReply> {
    return this.conn.call(
      Proc.STORAGE_VOL_GET_INFO,
      (w) => writeVolume(w, vol),
      (r) => ({ type: r.int(), capacity: r.uhyperNumber(), allocation: r.uhyperNumber() }),
      o,
    );
  }

  storageVolGetPath(vol: VolumeRef, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.STORAGE_VOL_GET_PATH, (w) => writeVolume(w, vol), readString, o);
  }

  storageVolResize(vol: VolumeRef, capacity: number, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.STORAGE_VOL_RESIZE,
      (w) => (writeVolume(w, vol), w.uhyper(capacity), w.uint(flags)),
      null,
      o,
    );
  }

  // ---- event (de)registration ----

  connectDomainEventCallbackRegisterAny(eventId: number, dom: DomainRef | null, o?: CallOptions): Promise<number> {
    return this.conn.call(
      Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
      (w) => (w.int(eventId), w.optional(dom, writeDomain)),
      (r) => r.int(),
      o,
    );
  }

  connectDomainEventCallbackDeregisterAny(callbackId: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, (w) => w.int(callbackId), null, o);
  }

  connectNetworkEventRegisterAny(eventId: number, net: NetworkRef | null, o?: CallOptions): Promise<number> {
    return this.conn.call(
      Proc.CONNECT_NETWORK_EVENT_REGISTER_ANY,
      (w) => (w.int(eventId), w.optional(net, writeNetwork)),
      (r) => r.int(),
      o,
    );
  }

  connectNetworkEventDeregisterAny(callbackId: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.CONNECT_NETWORK_EVENT_DEREGISTER_ANY, (w) => w.int(callbackId), null, o);
  }

  connectStoragePoolEventRegisterAny(eventId: number, pool: PoolRef | null, o?: CallOptions): Promise<number> {
    return this.conn.call(
      Proc.CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY,
      (w) => (w.int(eventId), w.optional(pool, writePool)),
      (r) => r.int(),
      o,
    );
  }

  connectStoragePoolEventDeregisterAny(callbackId: number, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, (w) => w.int(callbackId), null, o);
  }

  // ---- secrets (no GetValue: a secret's value is written, never read back) ----

  secretLookupByUuid(uuid: string, o?: CallOptions): Promise<SecretRef> {
    return this.conn.call(Proc.SECRET_LOOKUP_BY_UUID, (w) => w.fixedOpaque(uuidToBytes(uuid), 16), readSecret, o);
  }

  secretLookupByUsage(usageType: number, usageId: string, o?: CallOptions): Promise<SecretRef> {
    return this.conn.call(
      Proc.SECRET_LOOKUP_BY_USAGE,
      (w) => (w.int(usageType), writeString(w, usageId)),
      readSecret,
      o,
    );
  }

  secretDefineXml(xml: string, flags: number, o?: CallOptions): Promise<SecretRef> {
    return this.conn.call(Proc.SECRET_DEFINE_XML, (w) => (writeString(w, xml), w.uint(flags)), readSecret, o);
  }

  secretGetXmlDesc(secret: SecretRef, flags: number, o?: CallOptions): Promise<string> {
    return this.conn.call(Proc.SECRET_GET_XML_DESC, (w) => (writeSecret(w, secret), w.uint(flags)), readString, o);
  }

  /** Sets the value; `value` goes on the wire only (never logged: the call log names procedures, not arguments). */
  secretSetValue(secret: SecretRef, value: Uint8Array, flags: number, o?: CallOptions): Promise<void> {
    return this.conn.call(
      Proc.SECRET_SET_VALUE,
      (w) => (writeSecret(w, secret), w.opaque(value, SECRET_VALUE_MAX), w.uint(flags)),
      null,
      o,
    );
  }

  secretUndefine(secret: SecretRef, o?: CallOptions): Promise<void> {
    return this.conn.call(Proc.SECRET_UNDEFINE, (w) => writeSecret(w, secret), null, o);
  }
}
