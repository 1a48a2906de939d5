import Database from "better-sqlite3";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, type SqliteDatabase } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";

export function memoryDb(): SqliteDatabase {
  const db = new Database(":memory:");
  db.pragma("foreign_keys = ON");
  applyMigrations(db, CONTROLLER_MIGRATIONS);
  return db;
}

/** A network-only policy (bridge vfbr-NAME unless given); `extra` lines go under `spec:` (indented by the caller). */
export function policyYaml(
  name: string,
  opts: { bridge?: string; mode?: string; targets?: string; netName?: string; comment?: string } = {},
): string {
  return [
    ...(opts.comment ? [`# ${opts.comment}`] : []),
    "apiVersion: virtfleet/v1",
    "kind: Policy",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  mode: ${opts.mode ?? "enforce"}`,
    ...(opts.targets ? [`  targets: ${opts.targets}`] : []),
    "  resources:",
    "    networks:",
    `      - name: ${opts.netName ?? `${name}-net`}`,
    "        mode: isolated",
    `        bridge: ${opts.bridge ?? `vfbr-${name}`.slice(0, 15)}`, // one bridge per policy: two networks on one bridge clash
    "",
  ].join("\n");
}

export function tempFolder(): { dir: string; write: (file: string, text: string) => void; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "vft-policies-"));
  return {
    dir,
    write: (file, text) => writeFileSync(join(dir, file), text),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
