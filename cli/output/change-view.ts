import type { FieldChange } from "../../common/changes.js";
import { formatBytes } from "../../common/units.js";

/**
 * How the human views (apply, plan) show one field change — the one place for it:
 * `memory: 128 MiB → 192 MiB (restart)`. Every change names its disruption class (`live`
 * too, as `--json` does); byte sizes (memory, capacity, allocation, size, …Bytes) read in
 * binary units; long values are clipped. `--json` keeps the raw values.
 */
export function renderFieldChange(c: FieldChange, separator = ": "): string {
  const tag = `${c.disruption}${c.destructive ? ", destroys data" : ""}`;
  return `${c.field}${separator}${changeValue(c.field, c.from)} → ${changeValue(c.field, c.to)} (${tag})`;
}

/** The last name of a field path that holds a size in bytes (`memory`, `disks[0].capacity`, `maxMemory`, `totalBytes`). */
const BYTE_FIELD = /(^|\.)(memory|maxMemory|currentMemory|capacity|allocation|size|[A-Za-z]*Bytes)$/;

export function changeValue(field: string, v: unknown): string {
  if (v === null || v === undefined) return "∅";
  const bare = field.replace(/\[[^\]]*\]/g, "");
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && BYTE_FIELD.test(bare))
    return formatBytes(v).replace(/\.0 /, " ");
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The domain field that records the hash of the spec a guest was defined from (kinds/domain). */
export const SPEC_HASH_FIELD = "metadata.specHash";

/** What the views need of a resource to explain a spec-hash change. */
interface ChangedResource {
  kind: string;
  name: string;
  changes: readonly FieldChange[];
}

/**
 * The changes to show for `r`. A guest whose only change is its recorded spec hash changed in
 * what its XML does not show — its cloud-init content (the guest reads its seed at boot): the
 * hash says nothing to a reader, so the fields that changed in its cloud-init seed (the
 * `cloud-init-seed` resource `POOL/NAME-cidata.iso` of the same run) are shown in its place,
 * with the guest's disruption. Without that seed's changes, one line says what it is.
 */
export function displayedChanges(r: ChangedResource, all: readonly ChangedResource[]): FieldChange[] {
  const only = r.changes.length === 1 ? r.changes[0] : undefined;
  if (r.kind !== "domain" || only?.field !== SPEC_HASH_FIELD) return [...r.changes];
  const seed = all.find((s) => s.kind === "cloud-init-seed" && s.name.endsWith(`/${r.name}-cidata.iso`));
  const fields = (seed?.changes ?? []).filter(
    (c) => c.field.startsWith("cloudInit.") && c.field !== "cloudInit.instanceId",
  );
  if (fields.length > 0) return fields.map((c) => ({ ...c, disruption: only.disruption }));
  return [
    {
      field: "cloudInit",
      from: "previous seed",
      to: "new seed (configuration outside the guest's XML changed)",
      disruption: only.disruption,
    },
  ];
}
