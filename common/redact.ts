/**
 * Keeping secrets out of logs, command output, errors and drift events. Secrets here are:
 * password hashes (cloud-init `passwordHash`, crypt(3) `$6$…` strings), tokens, private
 * keys (PEM blocks) and URL credentials (`user:pass@`).
 *
 * Cloud-init's free-text fields count too: `writeFiles[].content`, `runcmd`, `bootcmd` and
 * vendor-data (they may carry tokens or passwords in scripts and files).
 *
 * Two mechanisms, used together:
 * - by name: the value of a secret field (`isSecretField`) is replaced with REDACTED
 *   wherever it appears in a structure (`redactDeep`) or a change list (`redactChange`);
 * - by shape: text that looks like a secret (`scrubSecrets`) is replaced inside any string,
 *   for messages that quote values (errors, log lines).
 */

export const REDACTED = "[redacted]";

/** Field names whose values are secrets, in any case, in camelCase or snake_case. */
const SECRET_NAMES =
  /^(password|password_?hash|passwd|plain_?text_?passw(or)?d|hashed_?passwd|token|[a-z]*_?token|secret|[a-z]*_?secret|private_?key|authorization|cookie|api_?key)$/i;

/**
 * Cloud-init fields that may carry secrets in free text (issue 23): commands (`runcmd`,
 * `bootcmd`, any entry or argument of them), vendor-data (all of it), and the `content` of a
 * file to write (`writeFiles[…].content`, cloud-config's `write_files[…].content`).
 */
const SECRET_PATHS =
  /(?:^|\.)(?:(?:runcmd|bootcmd|vendorData|vendor_data)(?:\[[^\]]*\]|\..*)*|(?:writeFiles|write_files)\[.*\]\.content)$/s;

/** The value keys of a change object (redactDeep redacts them when its `field` is secret). */
const CHANGE_VALUES = new Set(["from", "to", "desired", "actual"]);

/** Keys whose list entries' `content` is a secret (redactDeep). */
const FILE_LISTS = new Set(["writeFiles", "write_files"]);

/**
 * True when a field (a key, or a dotted/indexed field path such as
 * `cloudInit.users[ansible].passwordHash`) names a secret: its last segment is one of the
 * secret names, or it is one of the cloud-init SECRET_PATHS.
 */
export function isSecretField(field: string): boolean {
  const last = /([A-Za-z_][A-Za-z0-9_]*)["'\]]*$/.exec(field)?.[1];
  return (last !== undefined && SECRET_NAMES.test(last)) || SECRET_PATHS.test(field);
}

// crypt(3) hashes: $1$ $2a/b/x/y$ $5$ $6$ $y$ $gy$ $7$, then at least 8 salt/hash characters.
const CRYPT_HASH = /\$(?:1|2[abxy]|5|6|y|gy|7)\$[./A-Za-z0-9$=,]{8,}/g;
// PEM private keys, also inside JSON (newlines escaped as \n).
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
// Credentials in URLs: scheme://user:pass@ or scheme://token@.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;

/** `text` with anything shaped like a secret replaced (crypt hashes, PEM private keys, URL userinfo). */
export function scrubSecrets(text: string): string {
  if (!text.includes("$") && !text.includes("PRIVATE KEY") && !text.includes("@")) return text;
  return text
    .replace(CRYPT_HASH, REDACTED)
    .replace(PEM_PRIVATE_KEY, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`)
    .replace(URL_USERINFO, `$1${REDACTED}@`);
}

/** The value to show for `field`: REDACTED for a secret field, else `value` (strings scrubbed). */
export function shownValue<T>(field: string, value: T): T | string {
  if (value === null || value === undefined) return value;
  if (isSecretField(field)) return REDACTED;
  return typeof value === "string" ? scrubSecrets(value) : value;
}

/** A change (`{field, from, to}` or drift's `{field, desired, actual}`) with secret values redacted. */
export function redactChange<C extends { field: string }>(change: C): C {
  const out: Record<string, unknown> = { ...change };
  for (const k of ["from", "to", "desired", "actual"] as const) {
    if (k in out) out[k] = redactValue(change.field, out[k]);
  }
  return out as C;
}

function redactValue(field: string, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (isSecretField(field)) return REDACTED;
  return redactDeep(v);
}

/** Deepest level `redactDeep` descends to; deeper values are replaced. */
const MAX_DEPTH = 32;

/**
 * A copy of `value` with every secret field's value replaced by REDACTED (at any depth)
 * and every string scrubbed. Errors become `{type, message, stack, code}`; cycles and
 * values deeper than 32 levels are cut. Plain data only: functions are dropped.
 */
export function redactDeep(value: unknown): unknown {
  const seen = new WeakSet<object>();
  // parent: the key whose value holds `v` (through lists), for `writeFiles[].content`
  const walk = (v: unknown, depth: number, parent?: string): unknown => {
    if (typeof v === "string") return scrubSecrets(v);
    if (v === null || typeof v !== "object") return typeof v === "function" ? undefined : v;
    if (seen.has(v)) return "[circular]";
    if (depth > MAX_DEPTH) return "[too deep]";
    seen.add(v);
    try {
      if (v instanceof Error) {
        const e = v as Error & { code?: unknown; cause?: unknown };
        const out: Record<string, unknown> = { type: e.name, message: scrubSecrets(e.message) };
        if (e.stack) out.stack = scrubSecrets(e.stack);
        if (e.code !== undefined) out.code = e.code;
        if (e.cause !== undefined) out.cause = walk(e.cause, depth + 1);
        return out;
      }
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1, parent));
      if (Buffer.isBuffer(v) || v instanceof Date) return v;
      const out: Record<string, unknown> = {};
      // a change (`{field, from, to}`, drift's `{field, desired, actual}`) of a secret field
      const change =
        typeof (v as { field?: unknown }).field === "string" && isSecretField((v as { field: string }).field);
      for (const [k, x] of Object.entries(v)) {
        if (change && CHANGE_VALUES.has(k) && x !== null && x !== undefined) {
          out[k] = REDACTED;
          continue;
        }
        const secret = isSecretField(k) || (k === "content" && parent !== undefined && FILE_LISTS.has(parent));
        out[k] = secret && x !== null && x !== undefined && typeof x !== "boolean" ? REDACTED : walk(x, depth + 1, k);
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}

/**
 * A URL safe to show in logs, reports and errors: userinfo (`user:pass@`) becomes `***@`.
 * Unparsable input is returned as `<unparsable URL>` (it might hold credentials).
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "<unparsable URL>";
  }
  if (u.username === "" && u.password === "") return u.href;
  u.username = "";
  u.password = "";
  return u.href.replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, "$1***@");
}
