import { VirtfleetError } from "../errors.js";

/**
 * PostgreSQL cannot be used: unreachable, refused our credentials, read-only, its TLS not
 * trusted (`tls`: the certificate is not signed by sslrootcert's CA, does not name the host,
 * has expired, or the server has no TLS), or its schema is one this build cannot run on. The
 * message names the server (never the password) and what to do; `reason` says which.
 */
export class StoreUnavailableError extends VirtfleetError {
  constructor(
    readonly reason: "unreachable" | "busy" | "authentication" | "read-only" | "tls" | "schema" | "config",
    message: string,
    options?: { cause?: unknown },
  ) {
    super("STORE_UNAVAILABLE", message, options);
  }
}

interface PgError {
  code?: string;
  message?: string;
  /** Node's file errors (pg reads sslrootcert, sslcert and sslkey when it builds a connection). */
  syscall?: string;
  path?: string;
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

/** Node's TLS codes for a server certificate that does not chain to the trusted CAs (sslrootcert). */
const UNTRUSTED_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

/** The TLS failures of a connection (Node's or pg's), told as what is wrong and what to do. */
function tlsProblem(e: PgError): string | undefined {
  if (e.code && UNTRUSTED_CODES.has(e.code))
    return `the server's certificate is not signed by the CA in the URL's sslrootcert file (${e.code}): give sslrootcert the CA that issued the server's certificate`;
  if (e.code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return `the server's certificate does not name the host in --store (${e.message}): use a host name the certificate was issued for, or reissue it with that name`;
  if (e.code === "CERT_HAS_EXPIRED" || e.code === "CERT_NOT_YET_VALID")
    return `the server's certificate ${e.code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet"} (${e.code}): renew it, or check this machine's clock`;
  if (/The server does not support SSL connections/i.test(e.message ?? ""))
    return "the server does not offer TLS (ssl = off) while the URL's sslmode asks for it: turn ssl on in postgresql.conf, or remove sslmode on a trusted network";
  if (e.code === "28000" && /no encryption/i.test(e.message ?? ""))
    return `the server refused this user without TLS (pg_hba.conf: ${e.message}): when it allows the user only over TLS (hostssl), add sslmode=verify-full&sslrootcert=CA-FILE to the URL`;
  return undefined;
}

/** `err` (from pg) as a StoreUnavailableError naming `target`, or undefined when it is another kind. */
export function classifyPgError(err: unknown, target: string): StoreUnavailableError | undefined {
  const e = (err ?? {}) as PgError;
  const tls = tlsProblem(e);
  if (tls !== undefined) return new StoreUnavailableError("tls", `PostgreSQL at ${target}: ${tls}`, { cause: err });
  if (e.syscall === "open" && e.path)
    return new StoreUnavailableError(
      "config",
      `cannot read ${e.path} for PostgreSQL at ${target} (${e.code}): the URL's sslrootcert, sslcert and sslkey name files this user can read`,
      { cause: err },
    );
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
