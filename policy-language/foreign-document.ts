/**
 * A YAML document that is not a virtfleet document at all — a password file, a key, an
 * `.env` file that landed in the policies folder (or was linked there) and happens to parse
 * as YAML. Validating it field by field would quote its lines as unknown keys in errors that
 * reach `policies --json`, the log and the store; instead it gets one issue that quotes nothing.
 *
 * A policy document is one mapping with `apiVersion` or `kind`; an inventory is one mapping
 * with `groups` or `hosts` (or empty). Anything else is foreign; returns the message, or null.
 */
export function foreignDocument(kind: "policy" | "inventory", value: unknown): string | null {
  const keys = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : undefined;
  if (kind === "policy") {
    if (keys?.includes("apiVersion") || keys?.includes("kind")) return null;
    return 'not a virtfleet policy document: a mapping with "apiVersion: virtfleet/v1" and "kind: Policy" is expected (the content of this file is not quoted)';
  }
  if (keys && (keys.length === 0 || keys.includes("groups") || keys.includes("hosts"))) return null;
  return 'not a virtfleet inventory: a mapping with "groups" and/or "hosts" is expected (the content of this file is not quoted)';
}
