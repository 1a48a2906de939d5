/**
 * libvirt client speaking libvirt's RPC protocol over its unix socket.
 * Public surface of libvirt/ (the libvirt wire client); import from here only.
 */
export { Hypervisor, formatVersion } from "./hypervisor.js";
export type {
  AffectOptions,
  DomainSelector,
  DomainState,
  HypervisorOptions,
  MetadataType,
  NetworkSelector,
  PoolInfo,
  PoolSelector,
  SecretUsageName,
  VersionInfo,
  VolumeInfo,
  VolumeSelector,
} from "./hypervisor.js";
export { LibvirtConnection } from "./rpc/connection.js";
export {
  parseConnectionOptions,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_COUNT,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
} from "./rpc/options.js";
export type { ConnectionOptions } from "./rpc/options.js";
export type { ConnectionState, StateChange } from "./rpc/state.js";
export type { CallOptions, ArgsEncoder, ReplyDecoder } from "./rpc/calls.js";
export { LibvirtRemote } from "./remote.js";
export {
  readTypedParam,
  readTypedParams,
  TypedParamType,
  typedParamNumbers,
  writeTypedParam,
  writeTypedParams,
  type TypedParam,
} from "./typed-params.js";
export type {
  NodeInfo,
  DomainStateReply,
  PoolInfoReply,
  VolumeInfoReply,
  NetworkUpdateArgs,
  SetMetadataArgs,
} from "./remote.js";
export type { DomainRef, NetworkRef, PoolRef, SecretRef, VolumeRef } from "./types.js";
export { uuidToBytes, uuidToString } from "./types.js";
export { ALL_EVENT_SOURCES, DEFAULT_EVENT_BUFFER } from "./events.js";
export type {
  ConnectionEvent,
  DomainDeviceRemovedEvent,
  DomainLifecycleEvent,
  DomainMetadataChangeEvent,
  EventSource,
  EventSubscription,
  HypervisorEvent,
  NetworkLifecycleEvent,
  OverflowEvent,
  PoolLifecycleEvent,
  PoolRefreshEvent,
} from "./events.js";
export {
  ErrorCode,
  LibvirtConnectionError,
  LibvirtError,
  LibvirtTimeoutError,
  isAlreadyExists,
  isConnectionError,
  isInvalidXml,
  isLibvirtError,
  isLibvirtNotFound,
  isOperationInvalid,
  isPoolBusy,
  isTimeout,
  libvirtCodeOf,
} from "./errors.js";
export type { ConnectionErrorReason, RemoteErrorFields } from "./errors.js";
export { parseCapabilities } from "./capabilities.js";
export type { ParsedCapabilities } from "./capabilities.js";
export {
  DEFAULT_SOCKET_PATH,
  DEFAULT_URI,
  DomainAffect,
  DomainPausedReason,
  DomainXmlFlags,
  ListDomainsFlags,
  ListNetworksFlags,
  ListPoolsFlags,
  NetworkUpdateCommand,
  NetworkUpdateSection,
  Proc,
  SecretUsageType,
  StoragePoolBuildFlags,
} from "./constants.js";
export type { DomainEventType, DomainStateName, PoolStateName } from "./constants.js";
