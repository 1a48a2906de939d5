export * from "./errors.js";
export * from "./units.js";
export * from "./backoff.js";
export * from "./address.js";
export { VERSION } from "./version.js";
export { findUp, projectRoot } from "./paths.js";
export { createLogger, loggerOptions, silentLogger, REDACTED_PATHS, type Logger } from "./logging.js";
export { REDACTED, isSecretField, scrubSecrets, shownValue, redactChange, redactDeep, redactUrl } from "./redact.js";
export { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from "./sqlite/open-database.js";
export { databaseFiles, SharedDataFolderError } from "./sqlite/private-files.js";
export { applyMigrations, MigrationError, type Migration } from "./sqlite/migrate.js";
export {
  AsyncDatabase,
  DatabaseClosedError,
  Transaction,
  TransactionOrderError,
  queryableOf,
  type SqliteQueryable,
} from "./sqlite/async-database.js";
export * from "./sql/index.js";
export {
  fleetProto,
  agentSideProto,
  adminProto,
  type FleetProto,
  type AgentSideProto,
  type AdminProtoPackage,
} from "./grpc/load-protos.js";
export {
  serverCredentials,
  channelCredentials,
  checkControllerIdentity,
  type TransportOptions,
  type ServerTls,
  type ClientTls,
} from "./grpc/credentials.js";
export {
  MAX_MESSAGE_BYTES,
  MAX_ADMIN_MESSAGE_BYTES,
  MAX_FACTS_BYTES,
  CLIENT_CHANNEL_OPTIONS,
  ADMIN_CHANNEL_OPTIONS,
  SERVER_CHANNEL_OPTIONS,
  CONNECTION_LIMITS,
  type ConnectionLimits,
} from "./grpc/limits.js";
export { listenGuarded, type GuardedListener } from "./grpc/connection-guard.js";
export type * from "./facts.js";
export { canonicalJson, canonicalHash } from "./canonical-json.js";
export type { PolicyMode, ResolvedPolicy, ResourcesSpec, SourceLocation } from "../kinds/resolved-policy.js";
export type { HostPrereqSpec } from "../kinds/host/spec.js";
export type { DhcpHostSpec, NetworkSpec } from "../kinds/network/spec.js";
export type { PoolSpec } from "../kinds/pool/spec.js";
export type { VolumeSpec } from "../kinds/volume/spec.js";
export type {
  CdromSpec,
  CloudInitSpec,
  CloudInitUserSpec,
  DiskSpec,
  DomainSpec,
  InterfaceSpec,
} from "../kinds/domain/spec.js";
export * from "../policy-language/index.js";
export type * from "./changes.js";
export type { DriftJson } from "./wire/drift.js";
