import { describe, expect, it } from "vitest";
import { AuditLog, isSecretKey, REDACTED, redactSecrets } from "../../../controller/audit/index.js";
import { ENGINES, openTestStore } from "../../harness/postgres.js";

describe("redaction of secrets in audit details", () => {
  it("names that look secret", async () => {
    for (const k of [
      "token",
      "Token",
      "apiToken",
      "enrol_token",
      "password",
      "passwordHash",
      "password_hash",
      "key",
      "privateKey",
      "keyPem",
      "key_pem",
      "secret",
      "clientSecret",
      "Authorization",
      "credentials",
      "x-api-key",
    ]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of [
      "host",
      "pattern",
      "reason",
      "ttlMs",
      "uses",
      "expiresAt",
      "policy",
      "monkey",
      "tokenizer",
      "role",
      "notAfter",
    ]) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });

  it("redacts at any depth, in arrays too, without touching the input", async () => {
    const input = {
      host: "kvm01",
      token: "vft1.abc",
      nested: { password: "hunter2", list: [{ secret: "s" }, { ok: 1 }] },
      keyPem: "-----BEGIN PRIVATE KEY-----\n...",
    };
    const out = redactSecrets(input);
    expect(out).toEqual({
      host: "kvm01",
      token: REDACTED,
      nested: { password: REDACTED, list: [{ secret: REDACTED }, { ok: 1 }] },
      keyPem: REDACTED,
    });
    expect(input.token).toBe("vft1.abc");
  });

  it("a PEM private key is redacted whatever its key is called", async () => {
    expect(redactSecrets({ note: "-----BEGIN EC PRIVATE KEY-----\nMHc..." })).toEqual({ note: REDACTED });
    expect(redactSecrets({ cert: "-----BEGIN CERTIFICATE-----\nMII..." })).toEqual({
      cert: "-----BEGIN CERTIFICATE-----\nMII...",
    });
  });

  it.each(ENGINES)("AuditLog.append never stores a secret (%s)", { timeout: 60_000 }, async (engine) => {
    const store = await openTestStore(engine);
    const audit = new AuditLog(store.db);
    const r = await audit.append({
      actor: "admin:ann",
      action: "token.create",
      target: "*",
      detail: { token: "vft1.s3cr3t", passwordHash: "$argon2$...", uses: 1 },
    });
    expect(r.detailJson).not.toMatch(/s3cr3t|argon2/);
    expect(JSON.parse(r.detailJson)).toEqual({ passwordHash: REDACTED, token: REDACTED, uses: 1 });
    const stored = await store.db.all<{ detail_json: string }>("SELECT detail_json FROM audit_log");
    expect(JSON.stringify(stored)).not.toMatch(/s3cr3t|argon2/);
    await store.close();
  });
});
