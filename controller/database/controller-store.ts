import { join } from "node:path";
import { AsyncDatabase, openDatabase } from "../../common/index.js";
import { HostStore } from "../hosts/index.js";
import { CONTROLLER_MIGRATIONS } from "./migrations.js";

export const CONTROLLER_DB_FILE = "controller.db";

/**
 * The controller's embedded store: one SQLite file in the data folder, fsynced on every
 * commit because agents delete their outbox once the controller acknowledges a write.
 * `db` is the asynchronous handle every table owner runs its queries on (AsyncDatabase: one
 * FIFO gate over the one connection; contract in docs/design/tables.md).
 */
export class ControllerStore {
  readonly hosts: HostStore;

  private constructor(readonly db: AsyncDatabase) {
    this.hosts = new HostStore(db);
  }

  /** `warn`: told when the data folder or database files were readable by others and were made private. */
  static open(dataDir: string, warn?: (message: string) => void): ControllerStore {
    return new ControllerStore(
      AsyncDatabase.of(
        openDatabase(join(dataDir, CONTROLLER_DB_FILE), CONTROLLER_MIGRATIONS, { synchronous: "FULL", warn }),
      ),
    );
  }

  /** Writes buffered liveness, waits for every queued operation, closes the file. */
  async close(): Promise<void> {
    try {
      await this.hosts.flush();
    } finally {
      await this.db.close();
    }
  }
}
