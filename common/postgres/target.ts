import { StoreUnavailableError } from "./errors.js";

/**
 * `url` (postgres://user@host:port/db?host=/socket&sslmode=…) told as user@host:port/db for
 * messages and logs: never the password, never the query's other parameters.
 */
export function describeTarget(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "<unparsable PostgreSQL URL>";
  }
  const socket = u.searchParams.get("host");
  const host = u.hostname ? `${decodeURIComponent(u.hostname)}${u.port ? `:${u.port}` : ""}` : (socket ?? "localhost");
  const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
  const db = decodeURIComponent(u.pathname.replace(/^\//, "")) || "(default database)";
  return `${user}${host}/${db}`;
}

/**
 * Checks `url` is a postgres:// or postgresql:// URL without a password (a password on the
 * command line is visible to every local user in /proc): throws StoreUnavailableError
 * ("config") saying where to put it instead. The message never holds the password.
 */
export function checkPostgresUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreUnavailableError(
      "config",
      "the PostgreSQL URL cannot be parsed: postgres://USER@HOST:PORT/DATABASE",
    );
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:")
    throw new StoreUnavailableError(
      "config",
      `not a PostgreSQL URL (${u.protocol}): postgres://USER@HOST:PORT/DATABASE`,
    );
  if (u.password !== "" || u.searchParams.has("password"))
    throw new StoreUnavailableError(
      "config",
      `the PostgreSQL URL for ${describeTarget(url)} holds a password: put it in a file (--store-password-file) or PGPASSFILE, not in the URL`,
    );
}
