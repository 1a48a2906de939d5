import { matchesPattern } from "../../policy-primitives/names.js";

/**
 * Value formats of the cloud-init fields that no other kind uses, shared by the schema (as
 * JSON Schema patterns), the loader's checks (semantics.ts) and the agent's re-check
 * (check.ts). Each pattern is anchored.
 */
export const CLOUD_INIT_FORMATS = {
  /** write_files permissions: an octal string, 3 or 4 digits, optionally with a leading 0 ("0644", "640", "04755"). */
  fileMode: { pattern: "^0?[0-7]{3,4}$", help: 'an octal mode such as "0644"' },
  /** write_files owner: user or user:group (Linux names). */
  fileOwner: {
    pattern: "^[a-z_][a-z0-9_-]{0,31}(:[a-z_][a-z0-9_-]{0,31})?$",
    help: "a user or user:group such as root:root",
  },
  /** A zoneinfo name: UTC, Europe/Berlin, America/Argentina/Buenos_Aires, Etc/GMT+1. */
  timezone: {
    pattern: "^(?!.*\\.\\.)[A-Za-z][A-Za-z0-9_+.-]{0,63}(/[A-Za-z0-9][A-Za-z0-9_+.-]{0,63}){0,3}$",
    help: "a time zone name from /usr/share/zoneinfo such as Europe/Berlin or UTC",
  },
  /** A locale: C, POSIX, C.UTF-8, en_US.UTF-8, de_DE@euro, sr_RS.UTF-8@latin. */
  locale: {
    pattern: "^(C|POSIX|[a-z]{2,3}(_[A-Z]{2})?)(\\.[A-Za-z0-9-]{1,32})?(@[A-Za-z0-9]{1,32})?$",
    help: "a locale such as en_US.UTF-8 or C.UTF-8",
  },
} as const;

/** The `encoding` values of cloud-init's write_files that fit in a YAML string (not raw gzip). */
export const WRITE_FILE_ENCODINGS = [
  "text/plain",
  "b64",
  "base64",
  "gz+b64",
  "gzip+b64",
  "gz+base64",
  "gzip+base64",
] as const;

export type CloudInitFormat = keyof typeof CLOUD_INIT_FORMATS;

const COMPILED = Object.fromEntries(
  Object.entries(CLOUD_INIT_FORMATS).map(([k, v]) => [k, new RegExp(v.pattern, "u")]),
) as Record<CloudInitFormat, RegExp>;

export function matchesCloudInitFormat(name: CloudInitFormat, value: string): boolean {
  return COMPILED[name].test(value);
}

/** An IPv4 or IPv6 address (no prefix). */
export function isIpAddress(value: string): boolean {
  return matchesPattern("ipv4", value) || matchesPattern("ipv6", value);
}

/** `address/prefix` with an IPv4 (prefix 0–32) or IPv6 (0–128) address. */
export function isCidr(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const addr = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix)) return false;
  const p = Number(prefix);
  if (matchesPattern("ipv4", addr)) return p <= 32;
  if (matchesPattern("ipv6", addr)) return p <= 128;
  return false;
}

/** Plausible base64 text (line breaks allowed), as write_files' b64 encodings take it. */
export function isBase64(value: string): boolean {
  const compact = value.replace(/\s+/g, "");
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

/** Keys that carry a plaintext password in cloud-config (`passwd` carries a hash: checked by value). */
export const PLAINTEXT_PASSWORD_KEYS = new Set(["password", "plain_text_passwd", "plainTextPassword"]);

export const PLAINTEXT_PASSWORD_HELP =
  "plaintext passwords are not accepted; only hashes: use users[].passwordHash with a crypt(3) hash (e.g. from `mkpasswd -m sha-512`)";

/**
 * Where a free-form cloud-config document (vendorData) holds a plaintext password: a key in
 * PLAINTEXT_PASSWORD_KEYS, or a `passwd`/`hashed_passwd` whose value is not a crypt(3) hash.
 * Returns the key paths (segments), never the values.
 */
export function plaintextPasswordPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => plaintextPasswordPaths(x, [...path, i]));
  if (v === null || typeof v !== "object") return [];
  const out: (string | number)[][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (PLAINTEXT_PASSWORD_KEYS.has(k)) out.push([...path, k]);
    else if (k === "chpasswd" && x !== null && typeof x === "object" && "list" in x) out.push([...path, k, "list"]);
    else if ((k === "passwd" || k === "hashed_passwd") && !(typeof x === "string" && matchesPattern("passwordHash", x)))
      out.push([...path, k]);
    else out.push(...plaintextPasswordPaths(x, [...path, k]));
  }
  return out;
}
