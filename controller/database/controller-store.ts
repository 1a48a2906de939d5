import { join } from "node:path";
import { openDatabase, type SqliteDatabase } from "../../common/index.js";
import { HostStore } from "../hosts/index.js";
import { CONTROLLER_MIGRATIONS } from "./migrations.js";

export const CONTROLLER_DB_FILE = "controller.db";

/**
 * The controller's embedded store: one SQLite file in the data folder, fsynced on every
 * commit because agents delete their outbox once the controller acknowledges a write.
 */
export class ControllerStore {
  readonly hosts: HostStore;

  private constructor(readonly db: SqliteDatabase) {
    this.hosts = new HostStore(db);
  }

  static open(dataDir: string): ControllerStore {
    return new ControllerStore(
      openDatabase(join(dataDir, CONTROLLER_DB_FILE), CONTROLLER_MIGRATIONS, { synchronous: "FULL" }),
    );
  }

  close(): void {
    this.hosts.flush();
    this.db.close();
  }
}
