/**
 * The PostgreSQL engine of the portable Queryable (common/sql): a pool (PgDatabase), its
 * schema steps (applyPgMigrations), and the errors an unusable server gives.
 */
export { PgDatabase, TransactionAbortedError, type PgConnectOptions } from "./pg-database.js";
export { applyPgMigrations, type PgSchemaState } from "./migrate.js";
export { StoreUnavailableError, classifyPgError } from "./errors.js";
export { describeTarget, checkPostgresUrl } from "./target.js";
