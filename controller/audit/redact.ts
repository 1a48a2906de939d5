/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Words that make a key secret-looking, wherever they appear in it (camelCase, snake_case,
 * kebab-case and dotted keys are split into words): `token`, `apiToken`, `password`,
 * `passwordHash`, `key`, `keyPem`, `privateKey`, `client_secret`, `Authorization`, ...
 * Over-redacting (e.g. `publicKey`) is the accepted price of never storing a secret.
 */
const SECRET_WORDS = new Set([
  "token",
  "tokens",
  "password",
  "passwords",
  "passwd",
  "passphrase",
  "secret",
  "secrets",
  "key",
  "keys",
  "authorization",
  "credential",
  "credentials",
  "cookie",
  "bearer",
]);

/** Values that are secrets whatever their key says. */
const SECRET_VALUE = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Deeper than this, the rest is replaced (details are small; depth is a hostile-input guard). */
const MAX_DEPTH = 8;

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a key names something secret (see SECRET_WORDS). */
export function isSecretKey(key: string): boolean {
  return words(key).some((w) => SECRET_WORDS.has(w));
}

/**
 * A copy of `value` in which every property with a secret-looking key, and every string
 * holding a PEM private key, is replaced by REDACTED, at any depth (arrays included).
 * Never mutates the input.
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, 0) as T;
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === "string") return SECRET_VALUE.test(value) ? REDACTED : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[k] = isSecretKey(k) ? REDACTED : redact(v, depth + 1);
  return out;
}
