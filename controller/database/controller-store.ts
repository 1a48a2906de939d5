import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AsyncDatabase, openDatabase } from "../../common/index.js";
import { makeFolderPrivate } from "../../common/sqlite/private-files.js";
import { HostStore } from "../hosts/index.js";
import { DataFolderLock } from "./data-folder-lock.js";
import { CONTROLLER_MIGRATIONS } from "./migrations.js";

export const CONTROLLER_DB_FILE = "controller.db";

/**
 * The controller's embedded store: one SQLite file in the data folder, fsynced on every
 * commit because agents delete their outbox once the controller acknowledges a write.
 * `db` is the asynchronous handle every table owner runs its queries on (AsyncDatabase: one
 * FIFO gate over the one connection; contract in docs/design/tables.md).
 * An open store holds its data folder exclusively (DataFolderLock): a second controller on the
 * same folder, or a `controller restore` into it, is refused until close().
 */
export class ControllerStore {
  readonly hosts: HostStore;

  private constructor(
    readonly db: AsyncDatabase,
    private readonly lock: DataFolderLock,
  ) {
    this.hosts = new HostStore(db);
  }

  /**
   * `warn`: told when the data folder or database files were readable by others and were made
   * private. Throws DataFolderInUseError when another process holds the folder.
   */
  static open(dataDir: string, warn?: (message: string) => void): ControllerStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // private (or refused as shared) before the lock file is made in it
    for (const m of makeFolderPrivate(dataDir)) (warn ?? ((text: string) => process.emitWarning(text)))(m);
    const lock = DataFolderLock.acquire(dataDir, "the controller");
    try {
      return new ControllerStore(
        AsyncDatabase.of(
          openDatabase(join(dataDir, CONTROLLER_DB_FILE), CONTROLLER_MIGRATIONS, { synchronous: "FULL", warn }),
        ),
        lock,
      );
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Writes buffered liveness, waits for every queued operation, closes the file. */
  async close(): Promise<void> {
    try {
      await this.hosts.flush();
    } finally {
      try {
        await this.db.close();
      } finally {
        this.lock.release();
      }
    }
  }
}
