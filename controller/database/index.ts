/**
 * The controller's database: one SQLite file in the data folder (ControllerStore) and the
 * ordered list of its schema steps (CONTROLLER_MIGRATIONS), whose parts come from the modules
 * that own the tables. Who owns which table: docs/design/tables.md. The data folder's lock
 * (DataFolderLock: one controller or restore at a time) and the store's backup and restore.
 */
export { ControllerStore } from "./controller-store.js";
export { CONTROLLER_DB_FILE } from "./db-file.js";
export { CONTROLLER_MIGRATIONS } from "./migrations.js";
export { DataFolderLock, DataFolderInUseError, LOCK_FILE, LOCK_PID_FILE } from "./data-folder-lock.js";
export {
  backupStore,
  restoreStore,
  type BackupResult,
  type RestoreResult,
  type StoreSummary,
} from "./backup.js";
export { defaultStoreLocation, parseStoreOption, storeDescription, type StoreLocation } from "./store-location.js";
export type { OpenStoreOptions } from "./controller-store.js";
export { migrateStore, MigrateStoreError, type MigrateStoreResult } from "./migrate-store.js";
