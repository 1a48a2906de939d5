import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AsyncDatabase, openDatabase, type Queryable } from "../../common/index.js";
import { applyPgMigrations, PgDatabase, type PgSchemaState } from "../../common/postgres/index.js";
import { makeFolderPrivate } from "../../common/sqlite/private-files.js";
import { HostStore } from "../hosts/index.js";
import { DataFolderLock } from "./data-folder-lock.js";
import { CONTROLLER_DB_FILE } from "./db-file.js";
import { CONTROLLER_MIGRATIONS } from "./migrations.js";
import type { StoreLocation } from "./store-location.js";

export interface OpenStoreOptions {
  /** Told when the data folder or database files were readable by others and were made private, or about the pool. */
  warn?: (message: string) => void;
  /** PostgreSQL's pool size (default 10). */
  poolMax?: number;
}

/**
 * The controller's store: the Queryable every table owner runs its SQL on (`db`, either
 * engine; contract in common/sql) and the hosts' owner. SQLite: one file, fsynced on every
 * commit because agents delete their outbox once the controller acknowledges a write.
 * PostgreSQL: a pool, shared with the other replicas; the schema migrated on open (one replica
 * at a time), a newer schema accepted only when compatible (common/postgres/migrate.ts).
 * An open store holds its data folder exclusively (DataFolderLock), whatever the engine: the
 * folder keeps this controller's own files (PKI, admin credentials).
 */
export class ControllerStore {
  readonly hosts: HostStore;

  private constructor(
    readonly db: Queryable,
    private readonly lock: DataFolderLock,
    private readonly closeDb: () => Promise<void>,
    /** PostgreSQL only: the schema as found (newer compatible steps, if any). */
    readonly schema?: PgSchemaState,
  ) {
    this.hosts = new HostStore(db);
  }

  get engine(): Queryable["engine"] {
    return this.db.engine;
  }

  /**
   * The SQLite store in `dataDir` (DATA/controller.db). `warn`: told when the data folder or
   * database files were readable by others and were made private. Throws
   * DataFolderInUseError when another process holds the folder.
   */
  static open(
    dataDir: string,
    warn?: (message: string) => void,
    file = join(dataDir, CONTROLLER_DB_FILE),
  ): ControllerStore {
    const lock = lockDataFolder(dataDir, warn);
    try {
      const db = AsyncDatabase.of(openDatabase(file, CONTROLLER_MIGRATIONS, { synchronous: "FULL", warn }));
      return new ControllerStore(db, lock, () => db.close());
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * The store at `location`, with `dataDir` locked for this controller. Rejects with
   * StoreUnavailableError (unreachable, authentication, read-only, schema) for PostgreSQL,
   * DataFolderInUseError when another process holds the folder.
   */
  static async connect(
    location: StoreLocation,
    dataDir: string,
    options: OpenStoreOptions = {},
  ): Promise<ControllerStore> {
    if (location.engine === "sqlite") return ControllerStore.open(dataDir, options.warn, location.path);
    const lock = lockDataFolder(dataDir, options.warn);
    let db: PgDatabase | undefined;
    try {
      db = await PgDatabase.connect({
        url: location.url,
        passwordFile: location.passwordFile,
        max: options.poolMax,
        applicationName: "virtfleet-controller",
        warn: options.warn,
      });
      const schema = await applyPgMigrations(db, CONTROLLER_MIGRATIONS);
      const pg = db;
      return new ControllerStore(pg, lock, () => pg.close(), schema);
    } catch (err) {
      await db?.close().catch(() => undefined);
      lock.release();
      throw err;
    }
  }

  /** Writes buffered liveness, waits for every queued operation, closes the database. */
  async close(): Promise<void> {
    try {
      await this.hosts.flush();
    } finally {
      try {
        await this.closeDb();
      } finally {
        this.lock.release();
      }
    }
  }
}

function lockDataFolder(dataDir: string, warn?: (message: string) => void): DataFolderLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // private (or refused as shared) before the lock file is made in it
  for (const m of makeFolderPrivate(dataDir)) (warn ?? ((text: string) => process.emitWarning(text)))(m);
  return DataFolderLock.acquire(dataDir, "the controller");
}
