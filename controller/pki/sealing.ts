import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { OptionError } from "../../common/index.js";
import { readPrivateFile } from "../../common/private-file.js";
import { StoreKeyError } from "./errors.js";

/** The option naming the sealing key's file. */
export const STORE_KEY_OPTION = "--store-key-file";
/** AES-256: the key is 32 bytes. */
export const STORE_KEY_BYTES = 32;
const MAX_STORE_KEY_FILE_BYTES = 1_024;
/** What `key_check` is the HMAC of: identifies a key without revealing it or anything it sealed. */
const CHECK_INPUT = "virtfleet pki_ca key check v1";
const CHECK_PREFIX = "hmac-sha256:";
const SEALED_PREFIX = "aes-256-gcm:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The key that seals what the store holds in secret (the shared CA's private key), read from
 * a file every replica has (`--store-key-file`). Contract: the bytes never leave this object
 * (no getter, not in errors, logs or `toJSON`); `check` identifies the key (HMAC-SHA256 of a
 * constant under it), so a replica holding another key is told before any decryption is
 * tried; `seal`/`open` are AES-256-GCM with a fresh 96-bit IV each time and `aad` bound in
 * (the sealed text opens only with the same `aad`, e.g. the certificate it belongs to).
 */
export class SealingKey {
  readonly check: string;
  readonly #key: Buffer;

  private constructor(
    key: Buffer,
    /** The file it was read from (for messages). */
    readonly file: string,
  ) {
    this.#key = key;
    this.check = CHECK_PREFIX + createHmac("sha256", key).update(CHECK_INPUT).digest("hex");
  }

  /**
   * The key in `file`: private (0600/0400, not a symlink: common/private-file.ts) and holding
   * 32 bytes — raw, or as 64 hex digits, or as base64 (surrounding whitespace ignored). An
   * OptionError names the option and the file, never the content.
   */
  static async read(file: string): Promise<SealingKey> {
    const fail = (detail: string) => new OptionError(STORE_KEY_OPTION, `the store key file ${file} ${detail}`);
    const content = await readPrivateFile(file, { maxBytes: MAX_STORE_KEY_FILE_BYTES }, fail);
    const key = decodeKey(content);
    content.fill(0);
    if (!key)
      throw fail(
        `must hold a ${STORE_KEY_BYTES}-byte key (raw, 64 hex digits or base64): make one with 'head -c 32 /dev/urandom > FILE' (or 'openssl rand -hex 32 > FILE') and give every replica a copy`,
      );
    return new SealingKey(key, file);
  }

  /** A key from bytes (tests). */
  static of(key: Buffer, file = "(in memory)"): SealingKey {
    if (key.length !== STORE_KEY_BYTES) throw new RangeError(`a sealing key is ${STORE_KEY_BYTES} bytes`);
    return new SealingKey(Buffer.from(key), file);
  }

  /** True when `check` (a stored key_check) identifies this key. */
  matches(check: string): boolean {
    const a = Buffer.from(this.check);
    const b = Buffer.from(check);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** `plain` sealed: `aes-256-gcm:` + base64(iv ‖ tag ‖ ciphertext). */
  seal(plain: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  /** What `seal(plain, aad)` sealed; StoreKeyError when it does not open (another key, other aad, altered). */
  open(sealed: string, aad: string, what: string): string {
    try {
      if (!sealed.startsWith(SEALED_PREFIX)) throw new Error("unknown format");
      const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), "base64");
      if (raw.length <= IV_BYTES + TAG_BYTES) throw new Error("too short");
      const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch (err) {
      throw new StoreKeyError(
        `${what} does not open with the key in ${this.file} although its key check matches: the stored value was altered or belongs to another certificate`,
        { cause: err },
      );
    }
  }

  toJSON(): { file: string } {
    return { file: this.file };
  }
}

/**
 * 32 raw bytes, or the text of 64 hex digits or of base64 for 32 bytes; undefined otherwise.
 * 32 bytes that are all printable text are a passphrase or a short hex key (`openssl rand
 * -hex 16`), not 32 random bytes: refused.
 */
function decodeKey(content: Buffer): Buffer | undefined {
  if (content.length === STORE_KEY_BYTES && !/^[\x20-\x7e\s]*$/.test(content.toString("latin1")))
    return Buffer.from(content);
  const text = content.toString("latin1").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    const key = Buffer.from(text, "base64");
    if (key.length === STORE_KEY_BYTES) return key;
  }
  return undefined;
}
