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
import { redactChange } from "../../common/redact.js";
import type { FieldChange } from "../../common/changes.js";
import { fileReader, readIsoRootFile } from "./iso9660.js";
import type { SeedContent } from "./render.js";

/** user-data larger than this is not one we wrote. */
const MAX_USER_DATA_BYTES = 1024 * 1024;

/** The seed's user-data, or null when the file has none or cannot be read as a seed. */
export async function readSeedUserData(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch {
    return null;
  }
  try {
    const data = await readIsoRootFile(fileReader(fh), "user-data", MAX_USER_DATA_BYTES);
    return data === null ? null : data.toString("utf8");
  } catch {
    return null;
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

/**
 * Differences from `actual` (user-data and meta-data text of the seed on disk, either null
 * when unreadable) to `desired`; empty when the actual seed cannot be parsed. Values of
 * secret fields are REDACTED on both sides.
 */
export function seedFieldChanges(
  actual: { userData: string | null; metaData: string | null },
  desired: SeedContent,
): FieldChange[] {
  const au = parseDoc(actual.userData);
  const am = parseDoc(actual.metaData);
  const du = parseDoc(desired.userData);
  const dm = parseDoc(desired.metaData);
  if (!au || !am || !du || !dm) return [];
  const out: FieldChange[] = [];
  const add = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from ?? null) !== JSON.stringify(to ?? null))
      out.push(redactChange({ field, from: from ?? null, to: to ?? null, disruption: "live" }));
  };
  add("cloudInit.hostname", am["local-hostname"], dm["local-hostname"]);
  add("cloudInit.packages", au.packages, du.packages);
  add("cloudInit.packageUpdate", au.package_update, du.package_update);
  const users = (d: Doc) =>
    new Map(
      (Array.isArray(d.users) ? d.users : [])
        .filter((u): u is Doc => u !== null && typeof u === "object" && typeof (u as Doc).name === "string")
        .map((u) => [u.name as string, u]),
    );
  const was = users(au);
  const want = users(du);
  for (const name of [...new Set([...was.keys(), ...want.keys()])].sort()) {
    const a = was.get(name);
    const d = want.get(name);
    const at = `cloudInit.users[${JSON.stringify(name).slice(1, -1)}]`;
    if (!a || !d) {
      add(at, a ? "present" : "absent", d ? "present" : "absent");
      continue;
    }
    for (const [key, field] of USER_FIELDS) add(`${at}.${field}`, a[key], d[key]);
  }
  return out;
}
