/**
 * Protocol facts carried over from libvirt's `src/rpc/virnetprotocol.x`,
 * `src/rpc/virkeepaliveprotocol.x`, `src/remote/remote_protocol.x` and the public
 * headers (flag and enum values). libvirt never renumbers these.
 */

export const DEFAULT_SOCKET_PATH = "/var/run/libvirt/libvirt-sock";
export const DEFAULT_URI = "qemu:///system";

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_PROTOCOL_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_PROTOCOL_VERSION = 1;
export const KEEPALIVE_PROC_PING = 1;
export const KEEPALIVE_PROC_PONG = 2;

/** virNetMessageType */
export const MessageType = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
} as const;

/** virNetMessageStatus */
export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

/** Size of the length word that starts every packet; it counts itself. */
export const LEN_WORD_BYTES = 4;
export const HEADER_BYTES = 24;
/** VIR_NET_MESSAGE_MAX (header + payload, libvirt >= 6.x); the length word is extra. */
export const MESSAGE_MAX_BYTES = 33_554_432;
/** REMOTE_STRING_MAX / VIR_NET_MESSAGE_STRING_MAX in current libvirt. */
export const STRING_MAX = 4_194_304;
export const UUID_BYTES = 16;
/** Bound for `<>` (unbounded) arrays of objects in list-all replies. */
export const LIST_MAX = 65_536;
export const AUTH_TYPE_LIST_MAX = 20;

/** remote_auth_type */
export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

/** Driver features for REMOTE_PROC_CONNECT_SUPPORTS_FEATURE (libvirt_internal.h). */
export const DrvFeature = {
  PROGRAM_KEEPALIVE: 10,
  REMOTE_EVENT_CALLBACK: 13,
  NETWORK_UPDATE_HAS_CORRECT_ORDER: 16,
} as const;

/** remote_procedure numbers used by this client. */
export const Proc = {
  CONNECT_OPEN: 1,
  CONNECT_CLOSE: 2,
  CONNECT_GET_TYPE: 3,
  CONNECT_GET_VERSION: 4,
  CONNECT_GET_MAX_VCPUS: 5,
  NODE_GET_INFO: 6,
  CONNECT_GET_CAPABILITIES: 7,
  DOMAIN_CREATE: 9,
  DOMAIN_DESTROY: 12,
  DOMAIN_GET_XML_DESC: 14,
  DOMAIN_GET_AUTOSTART: 15,
  DOMAIN_LOOKUP_BY_NAME: 23,
  DOMAIN_LOOKUP_BY_UUID: 24,
  DOMAIN_RESUME: 28,
  DOMAIN_SET_AUTOSTART: 29,
  DOMAIN_SHUTDOWN: 33,
  DOMAIN_SUSPEND: 34,
  NETWORK_CREATE: 39,
  NETWORK_DEFINE_XML: 41,
  NETWORK_DESTROY: 42,
  NETWORK_GET_XML_DESC: 43,
  NETWORK_GET_AUTOSTART: 44,
  NETWORK_GET_BRIDGE_NAME: 45,
  NETWORK_LOOKUP_BY_NAME: 46,
  NETWORK_LOOKUP_BY_UUID: 47,
  NETWORK_SET_AUTOSTART: 48,
  NETWORK_UNDEFINE: 49,
  CONNECT_GET_HOSTNAME: 59,
  CONNECT_SUPPORTS_FEATURE: 60,
  AUTH_LIST: 66,
  AUTH_POLKIT: 70,
  STORAGE_POOL_DEFINE_XML: 77,
  STORAGE_POOL_CREATE: 78,
  STORAGE_POOL_BUILD: 79,
  STORAGE_POOL_DESTROY: 80,
  STORAGE_POOL_DELETE: 81,
  STORAGE_POOL_UNDEFINE: 82,
  STORAGE_POOL_REFRESH: 83,
  STORAGE_POOL_LOOKUP_BY_NAME: 84,
  STORAGE_POOL_LOOKUP_BY_UUID: 85,
  STORAGE_POOL_GET_INFO: 87,
  STORAGE_POOL_GET_XML_DESC: 88,
  STORAGE_POOL_GET_AUTOSTART: 89,
  STORAGE_POOL_SET_AUTOSTART: 90,
  STORAGE_VOL_CREATE_XML: 93,
  STORAGE_VOL_DELETE: 94,
  STORAGE_VOL_LOOKUP_BY_NAME: 95,
  STORAGE_VOL_GET_INFO: 98,
  STORAGE_VOL_GET_XML_DESC: 99,
  STORAGE_VOL_GET_PATH: 100,
  STORAGE_VOL_CREATE_XML_FROM: 125,
  DOMAIN_IS_ACTIVE: 150,
  NETWORK_IS_ACTIVE: 152,
  SECRET_LOOKUP_BY_UUID: 141,
  SECRET_DEFINE_XML: 142,
  SECRET_GET_XML_DESC: 143,
  SECRET_SET_VALUE: 144,
  // SECRET_GET_VALUE (145) is deliberately absent: virtfleet never reads a secret's value back.
  SECRET_UNDEFINE: 146,
  SECRET_LOOKUP_BY_USAGE: 147,
  STORAGE_POOL_IS_ACTIVE: 154,
  CONNECT_GET_LIB_VERSION: 157,
  DOMAIN_ATTACH_DEVICE_FLAGS: 160,
  DOMAIN_DETACH_DEVICE_FLAGS: 161,
  DOMAIN_UPDATE_DEVICE_FLAGS: 174,
  DOMAIN_CREATE_WITH_FLAGS: 196,
  DOMAIN_SET_VCPUS_FLAGS: 199,
  DOMAIN_SET_MEMORY_FLAGS: 204,
  DOMAIN_GET_STATE: 212,
  DOMAIN_UNDEFINE_FLAGS: 231,
  DOMAIN_DESTROY_FLAGS: 234,
  DOMAIN_SHUTDOWN_FLAGS: 258,
  STORAGE_VOL_RESIZE: 260,
  DOMAIN_SET_METADATA: 264,
  DOMAIN_GET_METADATA: 265,
  CONNECT_LIST_ALL_DOMAINS: 273,
  CONNECT_LIST_ALL_STORAGE_POOLS: 281,
  STORAGE_POOL_LIST_ALL_VOLUMES: 282,
  CONNECT_LIST_ALL_NETWORKS: 283,
  NETWORK_UPDATE: 291,
  CONNECT_NETWORK_EVENT_REGISTER_ANY: 313,
  CONNECT_NETWORK_EVENT_DEREGISTER_ANY: 314,
  NETWORK_EVENT_LIFECYCLE: 315,
  CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: 316,
  CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: 317,
  DOMAIN_EVENT_CALLBACK_LIFECYCLE: 318,
  DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED: 333,
  DOMAIN_DEFINE_XML_FLAGS: 350,
  CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY: 368,
  CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY: 369,
  STORAGE_POOL_EVENT_LIFECYCLE: 370,
  STORAGE_POOL_EVENT_REFRESH: 373,
  DOMAIN_EVENT_CALLBACK_METADATA_CHANGE: 379,
} as const;

/** Procedure number → name, for error messages. */
export const PROC_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Proc).map(([name, num]) => [num, name]));

export function procName(proc: number): string {
  return PROC_NAMES.get(proc) ?? `procedure ${proc}`;
}

/** virConnectListAllDomainsFlags */
export const ListDomainsFlags = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
  OTHER: 128,
  MANAGEDSAVE: 256,
  NO_MANAGEDSAVE: 512,
  AUTOSTART: 1024,
  NO_AUTOSTART: 2048,
  HAS_SNAPSHOT: 4096,
  NO_SNAPSHOT: 8192,
} as const;

/** virConnectListAllNetworksFlags */
export const ListNetworksFlags = {
  INACTIVE: 1,
  ACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  AUTOSTART: 16,
  NO_AUTOSTART: 32,
} as const;

/** virConnectListAllStoragePoolsFlags (type filters omitted) */
export const ListPoolsFlags = {
  INACTIVE: 1,
  ACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  AUTOSTART: 16,
  NO_AUTOSTART: 32,
} as const;

/** virSecretUsageType */
export const SecretUsageType = { NONE: 0, VOLUME: 1, CEPH: 2, ISCSI: 3, TLS: 4, VTPM: 5 } as const;

/** REMOTE_SECRET_VALUE_MAX: the largest secret value the protocol carries. */
export const SECRET_VALUE_MAX = 65_536;

/** virDomainXMLFlags */
export const DomainXmlFlags = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;
/** virDomainDefineFlags */
export const DomainDefineFlags = { VALIDATE: 1 } as const;
/** virDomainUndefineFlagsValues */
export const DomainUndefineFlags = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  KEEP_NVRAM: 8,
  CHECKPOINTS_METADATA: 16,
  /** Also remove the vTPM's state (libvirt >= 8.9). */
  TPM: 32,
} as const;
/** virDomainModificationImpact (also virDomainDeviceModifyFlags without FORCE) */
export const DomainAffect = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;
export const DomainVcpuFlags = { MAXIMUM: 4, GUEST: 8, HOTPLUGGABLE: 16 } as const;
export const DomainMemoryFlags = { MAXIMUM: 4 } as const;
/** virDomainMetadataType */
export const DomainMetadataType = { DESCRIPTION: 0, TITLE: 1, ELEMENT: 2 } as const;
/** virNetworkXMLFlags */
export const NetworkXmlFlags = { INACTIVE: 1 } as const;
/** virNetworkUpdateCommand */
export const NetworkUpdateCommand = { NONE: 0, MODIFY: 1, DELETE: 2, ADD_LAST: 3, ADD_FIRST: 4 } as const;
/** virNetworkUpdateSection */
export const NetworkUpdateSection = {
  NONE: 0,
  BRIDGE: 1,
  DOMAIN: 2,
  IP: 3,
  IP_DHCP_HOST: 4,
  IP_DHCP_RANGE: 5,
  FORWARD: 6,
  FORWARD_INTERFACE: 7,
  FORWARD_PF: 8,
  PORTGROUP: 9,
  DNS_HOST: 10,
  DNS_TXT: 11,
  DNS_SRV: 12,
} as const;
/** virNetworkUpdateFlags */
export const NetworkUpdateFlags = { AFFECT_CURRENT: 0, AFFECT_LIVE: 1, AFFECT_CONFIG: 2 } as const;
/** virStorageXMLFlags */
export const StorageXmlFlags = { INACTIVE: 1 } as const;
/** virStoragePoolBuildFlags */
export const StoragePoolBuildFlags = { NEW: 0, REPAIR: 1, RESIZE: 2, NO_OVERWRITE: 4, OVERWRITE: 8 } as const;
/** virStorageVolDeleteFlags */
export const StorageVolDeleteFlags = { NORMAL: 0, ZEROED: 1, WITH_SNAPSHOTS: 2 } as const;
/** virStorageVolResizeFlags */
export const StorageVolResizeFlags = { ALLOCATE: 1, DELTA: 2, SHRINK: 4 } as const;

/** virDomainState */
export const DOMAIN_STATES = [
  "nostate",
  "running",
  "blocked",
  "paused",
  "shutdown",
  "shutoff",
  "crashed",
  "pmsuspended",
] as const;
export type DomainStateName = (typeof DOMAIN_STATES)[number];

/** virDomainPausedReason (libvirt-domain.h): why a `paused` guest is paused. */
export const DomainPausedReason = {
  UNKNOWN: 0,
  USER: 1,
  /** paused for offline migration */
  MIGRATION: 2,
  /** paused for save */
  SAVE: 3,
  /** paused for offline core dump */
  DUMP: 4,
  IOERROR: 5,
  WATCHDOG: 6,
  /** paused after restoring from a snapshot */
  FROM_SNAPSHOT: 7,
  /** paused during the shutdown process */
  SHUTTING_DOWN: 8,
  /** paused while creating a snapshot */
  SNAPSHOT: 9,
  /** paused due to a guest crash */
  CRASHED: 10,
  /** the domain is being started (libvirt >= 1.2.14) */
  STARTING_UP: 11,
  /** paused for post-copy migration */
  POSTCOPY: 12,
  /** paused after a failed post-copy migration */
  POSTCOPY_FAILED: 13,
  /** an API that paused the guest internally (migration, snapshot) failed to resume it (libvirt >= 9.2) */
  API_ERROR: 14,
} as const;

/** virStoragePoolState */
export const POOL_STATES = ["inactive", "building", "running", "degraded", "inaccessible"] as const;
export type PoolStateName = (typeof POOL_STATES)[number];

/** virStorageVolType */
export const VOL_TYPES = ["file", "block", "dir", "network", "netdir", "ploop"] as const;

/** virDomainEventID values this client subscribes to. */
export const DomainEventId = { LIFECYCLE: 0, DEVICE_REMOVED: 15, METADATA_CHANGE: 23 } as const;
/** virNetworkEventID */
export const NetworkEventId = { LIFECYCLE: 0 } as const;
/** virStoragePoolEventID */
export const StoragePoolEventId = { LIFECYCLE: 0, REFRESH: 1 } as const;

/** virDomainEventType, indexed by value. */
export const DOMAIN_EVENT_TYPES = [
  "defined",
  "undefined",
  "started",
  "suspended",
  "resumed",
  "stopped",
  "shutdown",
  "pmsuspended",
  "crashed",
] as const;
export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

/** Detail names per virDomainEventType, indexed by detail value. */
export const DOMAIN_EVENT_DETAILS: Readonly<Record<DomainEventType, readonly string[]>> = {
  defined: ["added", "updated", "renamed", "from-snapshot"],
  undefined: ["removed", "renamed"],
  started: ["booted", "migrated", "restored", "from-snapshot", "wakeup"],
  suspended: [
    "paused",
    "migrated",
    "ioerror",
    "watchdog",
    "restored",
    "from-snapshot",
    "api-error",
    "postcopy",
    "postcopy-failed",
  ],
  resumed: ["unpaused", "migrated", "from-snapshot", "postcopy", "postcopy-failed"],
  stopped: ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot"],
  shutdown: ["finished", "guest", "host"],
  pmsuspended: ["memory", "disk"],
  crashed: ["panicked", "crashloaded"],
};

/** virNetworkEventLifecycleType */
export const NETWORK_EVENT_TYPES = ["defined", "undefined", "started", "stopped"] as const;
export type NetworkEventType = (typeof NETWORK_EVENT_TYPES)[number];

/** virStoragePoolEventLifecycleType */
export const POOL_EVENT_TYPES = ["defined", "undefined", "started", "stopped", "created", "deleted"] as const;
export type PoolEventType = (typeof POOL_EVENT_TYPES)[number];
