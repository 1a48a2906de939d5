const DAY_MS = 86_400_000;

/** How long what the CA issues lives. */
export const CA_LIFETIME_MS = 10 * 365 * DAY_MS;
export const SERVER_CERT_LIFETIME_MS = 365 * DAY_MS;
export const ADMIN_CERT_LIFETIME_MS = 365 * DAY_MS;
export const DEFAULT_AGENT_CERT_TTL_MS = 30 * DAY_MS;
/** Shortest agent certificate lifetime accepted (tests use seconds; production days). */
export const MIN_AGENT_CERT_TTL_MS = 5_000;
/** The server certificate is issued again when less than this is left. */
export const SERVER_CERT_RENEW_BEFORE_MS = 30 * DAY_MS;
/** notBefore is set this far back (at most 1/10 of the lifetime) so peers with a slow clock accept a fresh certificate. */
export const MAX_BACKDATE_MS = 5 * 60_000;

/** [notBefore, notAfter] of a certificate issued at `now` for `ttlMs`. */
export function validity(now: number, ttlMs: number): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now - Math.min(MAX_BACKDATE_MS, Math.floor(ttlMs / 10))),
    notAfter: new Date(now + ttlMs),
  };
}
