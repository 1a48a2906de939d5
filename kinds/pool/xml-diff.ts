/**
 * Desired pool spec vs parsed actual XML, field by field for the fields the pool's type takes
 * (types.ts), each change classed by FIELD_DISRUPTION: where the storage is (type, target
 * path, source device/host/export/VG/target/Ceph pool) is `recreate`; how the pool logs in
 * (initiator, CHAP/cephx user, the secret it refers to) is `restart`. A different UUID
 * (`opts.uuid`) is `recreate`. autostart/state are not XML (the engine's job); the secret's
 * content is compared by the resource (secret.ts), never here.
 */
import type { FieldChange } from "../../common/changes.js";
import type { ParsedPool } from "./parsed.js";
import { poolSecretUsage } from "./secret-usage.js";
import type { PoolSpec } from "./spec.js";
import { disruptionOf, isPoolType, POOL_TYPE_INFO } from "./types.js";

export function diffPool(desired: PoolSpec, actual: ParsedPool, opts: { uuid?: string } = {}): FieldChange[] {
  const out: FieldChange[] = [];
  const change = (field: string, from: unknown, to: unknown) =>
    out.push({ field, from, to, disruption: disruptionOf(field) });
  if (opts.uuid !== undefined && actual.uuid !== null && actual.uuid !== opts.uuid.toLowerCase()) {
    out.push({ field: "uuid", from: actual.uuid, to: opts.uuid.toLowerCase(), disruption: "recreate" });
  }
  if (actual.type !== desired.type) {
    change("type", actual.type, desired.type);
    return out;
  }
  if (!isPoolType(desired.type)) return out;
  const info = POOL_TYPE_INFO[desired.type];
  if (info.path !== "none" && actual.path !== desired.path) change("path", actual.path, desired.path);
  const want = (desired.source ?? {}) as Record<string, unknown>;
  const have = actual.source as Record<string, unknown>;
  for (const f of info.allowedSource) {
    if (f === "chap" || f === "auth") {
      const w = want[f] as { username: string } | undefined;
      const h = have[f] as { username: string | null; usage: string | null } | undefined;
      if ((w?.username ?? null) !== (h?.username ?? null))
        change(`source.${f}.username`, h?.username ?? null, w?.username ?? null);
      const wantUsage = w === undefined ? null : poolSecretUsage(desired.name);
      if (wantUsage !== null && (h?.usage ?? null) !== wantUsage)
        change(`source.${f}.secretRef`, h?.usage ?? null, wantUsage);
      continue;
    }
    const w = want[f];
    const h = have[f];
    if (w === undefined && h === undefined) continue;
    if (f === "port" && w === undefined) continue;
    if (JSON.stringify(w ?? null) !== JSON.stringify(h ?? null)) change(`source.${f}`, h ?? null, w ?? null);
  }
  return out;
}
