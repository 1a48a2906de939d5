import { VirtfleetError } from "../errors.js";

/**
 * PostgreSQL cannot be used: unreachable, refused our credentials, read-only, or its schema
 * is one this build cannot run on. The message names the server (never the password) and
 * what to do; `reason` says which.
 */
export class StoreUnavailableError extends VirtfleetError {
  constructor(
    readonly reason: "unreachable" | "authentication" | "read-only" | "schema" | "config",
    message: string,
    options?: { cause?: unknown },
  ) {
    super("STORE_UNAVAILABLE", message, options);
  }
}

interface PgError {
  code?: string;
  message?: string;
}

/** SQLSTATEs of a server that refused the login. */
const AUTH_CODES = new Set(["28P01", "28000"]);
/** Errors of a connection that never came up or went away. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "ENOENT",
  "EPIPE",
]);

/** `err` (from pg) as a StoreUnavailableError naming `target`, or undefined when it is another kind. */
export function classifyPgError(err: unknown, target: string): StoreUnavailableError | undefined {
  const e = (err ?? {}) as PgError;
  if (e.code && AUTH_CODES.has(e.code))
    return new StoreUnavailableError(
      "authentication",
      `PostgreSQL at ${target} refused the login (${e.code}): check the user and the password file (--store-password-file or PGPASSFILE)`,
      { cause: err },
    );
  if (e.code === "25006")
    return new StoreUnavailableError(
      "read-only",
      `PostgreSQL at ${target} is read-only (a standby, or default_transaction_read_only): point --store at the primary`,
      { cause: err },
    );
  if (
    (e.code && NETWORK_CODES.has(e.code)) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? "")
  )
    return new StoreUnavailableError(
      "unreachable",
      `cannot reach PostgreSQL at ${target} (${e.code ?? e.message}): is it running, and is --store's host and port right?`,
      { cause: err },
    );
  return undefined;
}
