import { pino, type Logger, type LoggerOptions } from "pino";
import { redactDeep, scrubSecrets } from "./redact.js";

export type { Logger };

/**
 * Paths that may hold secrets (tokens, keys, passwords) in a log record's first two levels;
 * pino replaces them with "[redacted]" (fast path). Deeper, `createLogger` also redacts
 * every secret field by name (common/redact.ts `isSecretField`).
 */
export const REDACTED_PATHS = [
  "token",
  "*.token",
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "privateKey",
  "*.privateKey",
  "key",
  "*.key",
  "authorization",
  "*.authorization",
];

/**
 * Creates the process logger: JSON lines on stderr (stdout is reserved for command output),
 * level from `VIRTFLEET_LOG_LEVEL` (default info). Secrets never reach the log:
 * - secret fields (REDACTED_PATHS, and `isSecretField` names at any depth) become "[redacted]";
 * - every finished line is scrubbed of text shaped like a secret (crypt(3) hashes, PEM
 *   private keys, URL credentials: `scrubSecrets`), so a secret quoted in a message or an
 *   error string is caught too.
 */
export function createLogger(name: string, level = process.env.VIRTFLEET_LOG_LEVEL ?? "info"): Logger {
  return pino(loggerOptions(name, level), pino.destination({ dest: 2, sync: true }));
}

/** createLogger's options (for a logger on another stream, e.g. in tests). */
export function loggerOptions(name: string, level: string): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    base: { pid: process.pid },
    formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
    hooks: { streamWrite: scrubSecrets },
  };
}

/** A logger that drops everything (for library use and tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
