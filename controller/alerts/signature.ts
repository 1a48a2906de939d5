import { createHmac, timingSafeEqual } from "node:crypto";

/** Unix time in seconds at which the request was signed (covered by the signature). */
export const TIMESTAMP_HEADER = "x-virtfleet-timestamp";
/** `sha256=<hex HMAC-SHA256(secret, TIMESTAMP + "." + BODY)>`. */
export const SIGNATURE_HEADER = "x-virtfleet-signature";
/** What a receiver should accept between a request's timestamp and its own clock. */
export const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;

/**
 * The signature of one webhook request: HMAC-SHA256 keyed with the shared secret over the
 * timestamp, a dot and the exact body bytes, hex, prefixed `sha256=`. The timestamp is signed
 * with the body so a receiver can refuse replays older than its window (a replayed request
 * with a fresh timestamp no longer verifies). Each attempt of a delivery is signed anew.
 */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestampSec}.${body}`).digest("hex")}`;
}

/**
 * A receiver's check (docs/design/drift-compliance-alerts.md shows the same in a few lines of
 * any language): the signature matches (constant-time compare) and the timestamp is within
 * `windowMs` of `nowMs`. Returns why not, or undefined when the request is genuine and fresh.
 */
export function webhookRejection(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: string,
  nowMs: number,
  windowMs = DEFAULT_REPLAY_WINDOW_MS,
): string | undefined {
  if (!headers.timestamp || !/^\d+$/.test(headers.timestamp)) return `no ${TIMESTAMP_HEADER}`;
  if (!headers.signature) return `no ${SIGNATURE_HEADER}`;
  const ts = Number(headers.timestamp);
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return "signature does not match";
  if (Math.abs(nowMs - ts * 1000) > windowMs) return "timestamp outside the replay window";
  return undefined;
}
