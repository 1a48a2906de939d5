import { scrubSecrets } from "../common/redact.js";

/** Longest token (a key, a value) an issue quotes from a policy or inventory file. */
export const QUOTE_MAX_CHARS = 64;

/**
 * `text` as an issue quotes it (in its message or its field path): scrubbed of anything shaped
 * like a secret (common/redact.ts scrubSecrets, before clipping, so a hash cut in two is still
 * caught), clipped to `max` characters, JSON-quoted. Issues quote only the offending token,
 * never more of the file: they reach `policies --json`, the controller's log and its store.
 */
export function quoteToken(text: string, max = QUOTE_MAX_CHARS): string {
  const s = scrubSecrets(text);
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** A message taken from a parser (it may echo source text): scrubbed and clipped to `max` characters. */
export function clipMessage(text: string, max = 200): string {
  const s = scrubSecrets(text);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
