/**
 * Field-level differences between a seed on disk and the desired one, so a dry-run, a
 * report or a drift event says WHAT differs (`cloudInit.users[ops].sshAuthorizedKeys`,
 * `cloudInit.hostname`) and not only that the instance-id moved. Secret fields are named but
 * their values never shown: `cloudInit.users[ops].passwordHash: [redacted] → [redacted]`.
 *
 * The seed on disk is input from outside virtfleet's control (anyone with write access to
 * the pool can replace it): it is read bounded (readSeedUserData), parsed with aliases
 * limited, and anything unexpected simply yields no field changes (the instance-id change
 * the caller reports still makes the seed rebuild).
 */
import { open } from "node:fs/promises";
import { parse } from "./lazy-yaml.js";
import { REDACTED, redactChange } from "../../common/redact.js";
import type { FieldChange } from "../../common/changes.js";
import { fileReader, readIsoRootFile } from "./iso9660.js";
import type { SeedContent } from "./render.js";

/** A seed file larger than this is not one we wrote. */
const MAX_SEED_FILE_BYTES = 4 * 1024 * 1024;

/** The seed's user-data, or null when the file has none or cannot be read as a seed. */
export async function readSeedUserData(path: string): Promise<string | null> {
  return (await readSeedTexts(path, ["user-data"])).get("user-data") ?? null;
}

/** Files of the seed at `path` by name (missing or unreadable ones left out). */
export async function readSeedTexts(path: string, names: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let fh;
  try {
    fh = await open(path, "r");
  } catch {
    return out;
  }
  try {
    const read = fileReader(fh);
    for (const name of names) {
      const data = await readIsoRootFile(read, name, MAX_SEED_FILE_BYTES).catch(() => null);
      if (data !== null) out.set(name, data.toString("utf8"));
    }
    return out;
  } finally {
    await fh.close();
  }
}

type Doc = Record<string, unknown>;

function parseDoc(text: string | null): Doc | null {
  if (text === null) return null;
  try {
    const v: unknown = parse(text, { version: "1.1", maxAliasCount: 10, uniqueKeys: false });
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Doc) : null;
  } catch {
    return null;
  }
}

/** cloud-init user keys → the policy's field names. */
const USER_FIELDS: [string, string][] = [
  ["groups", "groups"],
  ["sudo", "sudo"],
  ["passwd", "passwordHash"],
  ["ssh_authorized_keys", "sshAuthorizedKeys"],
  ["shell", "shell"],
];

/** What `seedFieldChanges` compares: the texts of a seed's files (null when absent or unreadable). */
export interface SeedTexts {
  userData: string | null;
  metaData: string | null;
  networkConfig?: string | null;
  vendorData?: string | null;
}

/**
 * Differences from `actual` (the texts of the seed on disk, null when unreadable) to
 * `desired`; empty when the actual seed cannot be parsed. Values of secret fields are
 * REDACTED on both sides: password hashes, write_files content (also what a contentFile
 * gave), runcmd, bootcmd and vendor-data. A file changes by its guest path
 * (`cloudInit.writeFiles[/etc/motd].permissions`), an interface by its id.
 */
export function seedFieldChanges(actual: SeedTexts, desired: SeedContent): FieldChange[] {
  const au = parseDoc(actual.userData);
  const am = parseDoc(actual.metaData);
  const du = parseDoc(desired.userData);
  const dm = parseDoc(desired.metaData);
  if (!au || !am || !du || !dm) return [];
  const out: FieldChange[] = [];
  const add = (field: string, from: unknown, to: unknown, secret = false) => {
    if (JSON.stringify(from ?? null) === JSON.stringify(to ?? null)) return;
    const shown = (v: unknown) => (secret && v !== undefined && v !== null ? REDACTED : (v ?? null));
    out.push(redactChange({ field, from: shown(from), to: shown(to), disruption: "live" }));
  };
  add("cloudInit.hostname", am["local-hostname"], dm["local-hostname"]);
  add("cloudInit.packages", au.packages, du.packages);
  add("cloudInit.packageUpdate", au.package_update, du.package_update);
  const byKey = (d: Doc, list: string, key: string) =>
    new Map(
      (Array.isArray(d[list]) ? (d[list] as unknown[]) : [])
        .filter((u): u is Doc => u !== null && typeof u === "object" && typeof (u as Doc)[key] === "string")
        .map((u) => [u[key] as string, u]),
    );
  const keyed = (list: string, key: string, field: string, fields: [string, string, boolean][]) => {
    const was = byKey(au, list, key);
    const want = byKey(du, list, key);
    for (const name of [...new Set([...was.keys(), ...want.keys()])].sort()) {
      const a = was.get(name);
      const d = want.get(name);
      const at = `cloudInit.${field}[${JSON.stringify(name).slice(1, -1)}]`;
      if (!a || !d) {
        add(at, a ? "present" : "absent", d ? "present" : "absent");
        continue;
      }
      for (const [k, f, secret] of fields) add(`${at}.${f}`, a[k], d[k], secret);
    }
  };
  keyed(
    "users",
    "name",
    "users",
    USER_FIELDS.map(([k, f]) => [k, f, false]),
  );
  keyed("write_files", "path", "writeFiles", WRITE_FILE_FIELDS);
  add("cloudInit.bootcmd", au.bootcmd, du.bootcmd, true);
  add("cloudInit.runcmd", au.runcmd, du.runcmd, true);
  add("cloudInit.timezone", au.timezone, du.timezone);
  add("cloudInit.locale", au.locale, du.locale);
  add("cloudInit.sshPwauth", au.ssh_pwauth, du.ssh_pwauth);
  if (actual.networkConfig !== undefined) {
    const an = parseDoc(actual.networkConfig);
    const dn = parseDoc(desired.networkConfig ?? null);
    const ae = (an?.ethernets ?? {}) as Doc;
    const de = (dn?.ethernets ?? {}) as Doc;
    if (!an !== !dn) add("cloudInit.network", an ? "present" : "absent", dn ? "present" : "absent");
    else
      for (const id of [...new Set([...Object.keys(ae), ...Object.keys(de)])].sort())
        add(`cloudInit.network.ethernets[${JSON.stringify(id).slice(1, -1)}]`, ae[id], de[id]);
  }
  if (actual.vendorData !== undefined) add("cloudInit.vendorData", actual.vendorData, desired.vendorData, true);
  return out;
}

/** cloud-init write_files keys → the policy's field names, and whether the value is secret. */
const WRITE_FILE_FIELDS: [string, string, boolean][] = [
  ["content", "content", true],
  ["encoding", "encoding", false],
  ["owner", "owner", false],
  ["permissions", "permissions", false],
];
