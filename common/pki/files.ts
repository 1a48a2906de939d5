import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PkiError } from "./errors.js";

/** Creates `dir` (and parents) readable by the owner only. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Writes a key or certificate file with mode 0600, atomically (temp file + rename), so a
 * crash never leaves half a key and the file is never readable by others, not even briefly.
 */
export function writePrivateFile(path: string, content: string): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Reads a PEM file; a missing or unreadable file is a PkiError naming it and `hint`. */
export function readPemFile(path: string, what: string, hint = ""): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new PkiError(`cannot read ${what} ${path}${hint ? `: ${hint}` : ""}`, { cause: err });
  }
}

/** True when every one of `paths` exists. */
export function allExist(...paths: string[]): boolean {
  return paths.every((p) => existsSync(p));
}

/** The permission bits of `path` (e.g. 0o600). */
export function fileMode(path: string): number {
  return statSync(path).mode & 0o777;
}
