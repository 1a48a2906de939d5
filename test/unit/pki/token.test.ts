import { describe, expect, it } from "vitest";
import {
  formatEnrolToken,
  hashTokenSecret,
  newTokenSecret,
  parseEnrolToken,
  sameDigest,
  TokenFormatError,
} from "../../../common/pki/index.js";

const fp = "ab".repeat(32);

describe("enrolment tokens", () => {
  it("embed the CA fingerprint and a 256-bit secret, and parse back", () => {
    const secret = newTokenSecret();
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
    const text = formatEnrolToken({ caFingerprint: fp, secret });
    expect(text).toMatch(/^vf1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(parseEnrolToken(`  ${text}\n`)).toEqual({ caFingerprint: fp, secret });
  });

  it("are new every time", () => {
    const a = formatEnrolToken({ caFingerprint: fp, secret: newTokenSecret() });
    const b = formatEnrolToken({ caFingerprint: fp, secret: newTokenSecret() });
    expect(a).not.toBe(b);
  });

  it("refuse anything else with a message saying what is wrong", () => {
    const good = formatEnrolToken({ caFingerprint: fp, secret: newTokenSecret() });
    expect(() => parseEnrolToken("hello")).toThrow(TokenFormatError);
    expect(() => parseEnrolToken("hello")).toThrow(/not a virtfleet enrolment token/);
    expect(() => parseEnrolToken(good.slice(0, -3))).toThrow(/truncated or damaged/);
    expect(() => parseEnrolToken(good.replace(/^vf1/, "vf2"))).toThrow(TokenFormatError);
    expect(() => parseEnrolToken(`${good}.x`)).toThrow(TokenFormatError);
    expect(() => formatEnrolToken({ caFingerprint: "xyz", secret: newTokenSecret() })).toThrow(TokenFormatError);
  });

  it("are stored as sha256 of the secret, compared in constant time", () => {
    const secret = newTokenSecret();
    const h = hashTokenSecret(secret);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain(secret);
    expect(sameDigest(h, hashTokenSecret(secret))).toBe(true);
    expect(sameDigest(h, hashTokenSecret(newTokenSecret()))).toBe(false);
    expect(sameDigest(h, "")).toBe(false);
  });
});
