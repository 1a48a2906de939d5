/**
 * SQLite errors that mean the state folder cannot take writes now (disk full, I/O error,
 * read-only or vanished file system). The agent keeps enforcing through them (AgentStore.commit
 * holds what it could not write); any other error is a bug and is thrown.
 */
const DISK_CODES = ["SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN"];

export function isDiskWriteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return DISK_CODES.some((c) => code === c || code.startsWith(`${c}_`)) || code === "ENOSPC" || code === "EIO";
}
