import { isAbsolute, join, resolve } from "node:path";
import { OptionError } from "../../common/index.js";
import { checkPostgresUrl, describeTarget, StoreUnavailableError } from "../../common/postgres/index.js";
import { CONTROLLER_DB_FILE } from "./db-file.js";

/** Where the controller's store is: a SQLite file, or a PostgreSQL database shared by replicas. */
export type StoreLocation =
  | { engine: "sqlite"; path: string }
  | {
      engine: "postgres";
      /** postgres://USER@HOST:PORT/DB?sslmode=… without a password. */
      url: string;
      /** A file whose first line is the password (else PGPASSFILE or ~/.pgpass). */
      passwordFile?: string;
    };

/** The default store: `DATA/controller.db`. */
export function defaultStoreLocation(dataDir: string): StoreLocation {
  return { engine: "sqlite", path: join(dataDir, CONTROLLER_DB_FILE) };
}

/**
 * `--store`'s value: `sqlite:PATH` (relative to the working directory) or `postgres://…` /
 * `postgresql://…` (no password in it: OptionError saying where to put it). Undefined → the
 * default. The error never holds the value when it may carry a password.
 */
export function parseStoreOption(value: string | undefined, dataDir: string, passwordFile?: string): StoreLocation {
  if (value === undefined || value === "") {
    if (passwordFile) throw new OptionError("--store-password-file", "is for a postgres:// --store only");
    return defaultStoreLocation(dataDir);
  }
  if (value.startsWith("sqlite:")) {
    if (passwordFile) throw new OptionError("--store-password-file", "is for a postgres:// --store only");
    const path = value.slice("sqlite:".length);
    if (path === "") throw new OptionError("--store", "sqlite: needs a file: sqlite:/var/lib/virtfleet/controller.db");
    return { engine: "sqlite", path: isAbsolute(path) ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      checkPostgresUrl(value);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw new OptionError("--store", err.message);
      throw err;
    }
    return { engine: "postgres", url: value, ...(passwordFile ? { passwordFile: resolve(passwordFile) } : {}) };
  }
  throw new OptionError("--store", "must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE");
}

/** `location` for logs and messages: the file, or user@host:port/db (never a password). */
export function storeDescription(location: StoreLocation): string {
  return location.engine === "sqlite" ? `sqlite:${location.path}` : `postgres://${describeTarget(location.url)}`;
}
