import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileMode, fingerprintOf, generateKeyPair, PkiError, x509 } from "../../../common/pki/index.js";
import { CA_CERT_FILE, CA_DIR, CA_KEY_FILE, CertificateAuthority } from "../../../controller/pki/index.js";
import { tempDir } from "../../harness/processes.js";

const dirs: { cleanup: () => void }[] = [];
function dataDir(): string {
  const d = tempDir("vft-ca-");
  dirs.push(d);
  return d.path;
}
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

describe("the controller CA", () => {
  it("is created on first start (0600 files, P-256, CA:TRUE) and reused afterwards", async () => {
    const dir = dataDir();
    const first = await CertificateAuthority.open(dir);
    expect(first.created).toBe(true);
    const certFile = join(dir, CA_DIR, CA_CERT_FILE);
    const keyFile = join(dir, CA_DIR, CA_KEY_FILE);
    expect(fileMode(certFile)).toBe(0o600);
    expect(fileMode(keyFile)).toBe(0o600);
    expect(fileMode(join(dir, CA_DIR))).toBe(0o700);
    expect(first.cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect((first.cert.publicKey.algorithm as { namedCurve?: string }).namedCurve).toBe("P-256");
    expect(first.fingerprint).toBe(fingerprintOf(first.cert));
    expect(first.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const again = await CertificateAuthority.open(dir);
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);
  });

  it("refuses to replace a half-present CA", async () => {
    const dir = dataDir();
    await CertificateAuthority.open(dir);
    rmSync(join(dir, CA_DIR, CA_KEY_FILE));
    await expect(CertificateAuthority.open(dir)).rejects.toThrow(/only one of .* exists/);
  });

  it("uses an operator-supplied CA in place and refuses a key that is not the certificate's", async () => {
    const own = dataDir();
    const ca = await CertificateAuthority.open(own);
    const operator = { certFile: join(own, CA_DIR, CA_CERT_FILE), keyFile: join(own, CA_DIR, CA_KEY_FILE) };
    const used = await CertificateAuthority.open(dataDir(), operator);
    expect(used.created).toBe(false);
    expect(used.fingerprint).toBe(ca.fingerprint);

    const other = dataDir();
    await CertificateAuthority.open(other);
    await expect(
      CertificateAuthority.open(dataDir(), { certFile: operator.certFile, keyFile: join(other, CA_DIR, CA_KEY_FILE) }),
    ).rejects.toThrow(PkiError);
    await expect(CertificateAuthority.open(dataDir(), { certFile: operator.certFile })).rejects.toThrow(/go together/);
  });

  it("issues leaf certificates that OpenSSL verifies against the CA", async () => {
    const dir = dataDir();
    const ca = await CertificateAuthority.open(dir);
    const keys = await generateKeyPair();
    const leaf = await ca.issue({
      subject: "CN=kvm01, O=virtfleet-agent",
      publicKey: keys.publicKey,
      ttlMs: 3_600_000,
      usage: "client",
    });
    expect(await ca.signed(leaf)).toBe(true);
    const leafFile = join(dir, "leaf.pem");
    writeFileSync(leafFile, leaf.toString("pem"));
    const out = execFileSync(
      "openssl",
      ["verify", "-purpose", "sslclient", "-CAfile", join(dir, CA_DIR, CA_CERT_FILE), leafFile],
      { encoding: "utf8" },
    );
    expect(out).toContain("OK");
    expect(readFileSync(join(dir, CA_DIR, CA_CERT_FILE), "utf8")).toContain("BEGIN CERTIFICATE");
  });
});
