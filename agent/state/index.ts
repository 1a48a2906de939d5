export { AgentStore, AGENT_DB_FILE, AGENT_MIGRATIONS, type AgentStoreOptions } from "./agent-store.js";
export { BundleCache, StateDocs, type CachedBundle } from "./bundle-cache.js";
export {
  Outbox,
  DEFAULT_OUTBOX_LIMITS,
  type OutboxEntry,
  type NewOutboxEntry,
  type OutboxLimits,
  type OutboxStats,
  type OutboxType,
} from "./outbox.js";
export { OwnershipLedgerStore } from "./ownership-ledger.js";
