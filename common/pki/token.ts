import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { TokenFormatError } from "./errors.js";

/**
 * Enrolment token: `vf1.<CA fingerprint>.<secret>`, both base64url of 32 bytes (the CA
 * certificate's sha256, and 256 random bits). The fingerprint lets the agent pin the
 * controller's CA before it trusts anything the controller sends; the secret authorizes one
 * enrolment. The controller stores only sha256(secret).
 */
export interface EnrolToken {
  /** sha256 of the CA certificate's DER, lowercase hex. */
  caFingerprint: string;
  /** base64url, 43 characters. */
  secret: string;
}

export const TOKEN_PREFIX = "vf1";
const PART = /^[A-Za-z0-9_-]{43}$/;

export function newTokenSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function formatEnrolToken(t: EnrolToken): string {
  if (!/^[0-9a-f]{64}$/.test(t.caFingerprint))
    throw new TokenFormatError("the CA fingerprint must be 64 lowercase hex digits");
  if (!PART.test(t.secret)) throw new TokenFormatError("the token secret must be 43 base64url characters");
  return `${TOKEN_PREFIX}.${Buffer.from(t.caFingerprint, "hex").toString("base64url")}.${t.secret}`;
}

/** Parses a token as `virtfleet token create` printed it; anything else is a TokenFormatError saying what is wrong. */
export function parseEnrolToken(text: string): EnrolToken {
  const parts = text.trim().split(".");
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) {
    throw new TokenFormatError(
      `not a virtfleet enrolment token (expected ${TOKEN_PREFIX}.<CA fingerprint>.<secret>, as 'virtfleet token create' prints it)`,
    );
  }
  if (!PART.test(parts[1]) || !PART.test(parts[2]))
    throw new TokenFormatError(
      "the enrolment token is truncated or damaged (each part must be 43 base64url characters)",
    );
  return { caFingerprint: Buffer.from(parts[1], "base64url").toString("hex"), secret: parts[2] };
}

/** What the controller stores and looks tokens up by: sha256(secret), hex. */
export function hashTokenSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
