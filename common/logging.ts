import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Paths that may hold secrets (tokens, keys, passwords) anywhere in a log record; they are
 * replaced with "[redacted]" so secrets never reach logs.
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
 * level from `VIRTFLEET_LOG_LEVEL` (default info), secrets redacted.
 */
export function createLogger(name: string, level = process.env.VIRTFLEET_LOG_LEVEL ?? "info"): Logger {
  return pino(
    { name, level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything (for library use and tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
