import type { Command } from "commander";
import { join } from "node:path";
import { DEFAULT_CONTROLLER_DATA_DIR } from "../../controller/defaults.js";
import { backupStore, migrateStore, parseStoreOption, restoreStore } from "../../controller/database/index.js";
import { OptionError } from "../../common/index.js";
import { CA_DIR } from "../../controller/pki/index.js";
import { ADMIN_DIR } from "../../controller/defaults.js";
import { DEFAULT_CONTROLLER_CONFIG, useConfigFile } from "../config-file/index.js";

const BACKUP_HELP = `
The backup is the controller store (DATA/controller.db: hosts, facts, reports, drift,
policy revisions, rollouts, audit log, enrolment tokens, issued certificates), copied with
SQLite's online backup while the controller runs, checked, written 0600. Not in it: the CA
and server keys (DATA/pki) and the bootstrap admin credential (DATA/admin), which are files:
back them up as files (docs/operations.md, "Backup and restore").
`;

const RESTORE_HELP = `
Refused while a controller runs on DATA (stop it first); a controller cannot start during
the restore. The store it replaces is kept as DATA/controller.db.before-restore-<time>.
DATA/pki and DATA/admin are left as they are. A backup from an older virtfleet is migrated
when the controller starts; one from a newer virtfleet is refused.
`;

interface StoreFlags {
  data: string;
}

/**
 * `virtfleet controller backup FILE` and `virtfleet controller restore FILE`, under `controller`.
 * Each takes --data from the command line (given after the subcommand, commander hands it to
 * `controller`: useConfigFile counts it as the subcommand's), else controller.yaml's `data`,
 * else the controller's default.
 */
export function registerStoreCommands(controller: Command): void {
  const backup = controller
    .command("backup")
    .description("copy the controller store to FILE while the controller may run (SQLite online backup)")
    .argument("<file>", "where to write the backup (replaced atomically; mode 0600)")
    .option("--data <dir>", "the controller's data folder", DEFAULT_CONTROLLER_DATA_DIR)
    .addHelpText("after", BACKUP_HELP)
    .action(async (file: string, flags: StoreFlags) => {
      const data = flags.data;
      const r = await backupStore(data, file);
      process.stdout.write(
        `wrote ${r.file}: the controller store ${r.source} (schema version ${r.schemaVersion}, ${r.bytes} bytes), integrity checked\n` +
          `not in it: ${join(data, CA_DIR)} (CA and server keys) and ${join(data, ADMIN_DIR)} (admin credential): back them up as files\n`,
      );
    });
  useConfigFile(backup, { defaultPath: DEFAULT_CONTROLLER_CONFIG, keysOf: controller });
  const restore = controller
    .command("restore")
    .description("replace the controller store with a backup; refused while a controller runs on the data folder")
    .argument("<file>", "a backup written by 'virtfleet controller backup'")
    .option("--data <dir>", "the controller's data folder", DEFAULT_CONTROLLER_DATA_DIR)
    .addHelpText("after", RESTORE_HELP)
    .action(async (file: string, flags: StoreFlags) => {
      const data = flags.data;
      const r = await restoreStore(file, data);
      for (const m of r.madePrivate) process.stderr.write(`virtfleet: ${m}\n`);
      process.stdout.write(
        `restored ${file} into ${r.store} (schema version ${r.schemaVersion})\n` +
          (r.kept ? `the replaced store is kept as ${r.kept}\n` : "") +
          `left as they were: ${join(data, CA_DIR)} and ${join(data, ADMIN_DIR)}\n`,
      );
    });
  useConfigFile(restore, { defaultPath: DEFAULT_CONTROLLER_CONFIG, keysOf: controller });
  const migrate = controller
    .command("migrate-store")
    .description("copy a SQLite controller store into an empty PostgreSQL database (one way; row counts verified)")
    .requiredOption("--from <location>", "sqlite:PATH: the store to copy (its controller stopped)")
    .requiredOption("--to <location>", "postgres://USER@HOST:PORT/DB: an empty database (the schema is created)")
    .option("--store-password-file <file>", "the PostgreSQL password (first line); else PGPASSFILE or ~/.pgpass")
    .addHelpText("after", MIGRATE_HELP)
    .action(async (flags: { from: string; to: string; storePasswordFile?: string }) => {
      const from = parseStoreOption(flags.from, ".");
      if (from.engine !== "sqlite") throw new OptionError("--from", "must be sqlite:PATH");
      const to = parseStoreOption(flags.to, ".", flags.storePasswordFile);
      if (to.engine !== "postgres") throw new OptionError("--to", "must be postgres://USER@HOST:PORT/DB");
      const r = await migrateStore(from, to, (table, rows) => process.stderr.write(`copied ${table}: ${rows} rows\n`));
      const total = r.tables.reduce((n, t) => n + t.rows, 0);
      process.stdout.write(
        `migrated ${from.path} into PostgreSQL (schema version ${r.schemaVersion}): ${r.tables.length} tables, ${total} rows, counts verified\n` +
          "start the controllers with --store set to the same URL; the SQLite file is left as it was\n",
      );
    });
  useConfigFile(migrate, { defaultPath: DEFAULT_CONTROLLER_CONFIG, keysOf: controller });
}

const MIGRATE_HELP = `
Stop the controller first (its data folder's lock is taken). The target must be empty; its
schema is created, every table copied in one transaction and each table's row count compared:
on any difference nothing is committed. The SQLite file is only read. The CA and admin
credentials stay files in each controller's data folder (docs/postgres.md).
`;
