import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createCsr,
  fingerprintOf,
  generateKeyPair,
  identityOf,
  PkiError,
  verifyCsr,
  x509,
} from "../../../common/pki/index.js";
import { CertificateAuthority, CertificateRegistry, PeerVerifier } from "../../../controller/pki/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { tempDir } from "../../harness/processes.js";

const dirs: { cleanup: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
function dir(): string {
  const d = tempDir("vft-csr-");
  dirs.push(d);
  return d.path;
}

const noRevocations = { isRevoked: () => false, issuedWithFingerprint: () => undefined };

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
beforeAll(async () => {
  ca = await CertificateAuthority.open(dir());
  otherCa = await CertificateAuthority.open(dir());
});

async function agentCert(issuer: CertificateAuthority, host: string, ttlMs = 3_600_000, now = Date.now()) {
  const keys = await generateKeyPair();
  const csr = await verifyCsr(await createCsr(host, keys));
  return issuer.issue({
    subject: `CN=${csr.commonName}, O=virtfleet-agent`,
    publicKey: csr.publicKey,
    ttlMs,
    usage: "client",
    now,
  });
}

describe("CSRs", () => {
  it("carry the requester's key and name and verify", async () => {
    const keys = await generateKeyPair();
    const pem = await createCsr("kvm01.lab", keys);
    expect(pem).toContain("BEGIN CERTIFICATE REQUEST");
    const csr = await verifyCsr(pem);
    expect(csr.commonName).toBe("kvm01.lab");
    const cert = await ca.issue({
      subject: "CN=kvm01.lab, O=virtfleet-agent",
      publicKey: csr.publicKey,
      ttlMs: 60_000,
      usage: "client",
    });
    expect(identityOf(cert)).toEqual({ kind: "agent", host: "kvm01.lab" });
    expect(await ca.signed(cert)).toBe(true);
  });

  it("refuse garbage, a tampered request and a non-P-256 key", async () => {
    await expect(verifyCsr("not a csr")).rejects.toThrow(PkiError);
    await expect(verifyCsr("x".repeat(10_000))).rejects.toThrow(/more than/);
    const keys = await generateKeyPair();
    const other = await generateKeyPair();
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=a",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    // a request whose signature is by another key than the one it carries
    const forged = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=a",
      keys: { publicKey: keys.publicKey, privateKey: other.privateKey },
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    expect((await verifyCsr(csr.toString("pem"))).commonName).toBe("a");
    await expect(verifyCsr(forged.toString("pem"))).rejects.toThrow(/signature does not match/);
    const rsa = await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    );
    const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=a",
      keys: rsa,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    });
    await expect(verifyCsr(rsaCsr.toString("pem"))).rejects.toThrow(/ECDSA P-256/);
  });
});

describe("the peer verifier", () => {
  it("accepts an agent certificate of this CA and names its host", async () => {
    const cert = await agentCert(ca, "kvm01");
    const v = new PeerVerifier(ca.certPem, noRevocations).verify(new Uint8Array(cert.rawData));
    expect(v).toMatchObject({ ok: true, identity: { kind: "agent", host: "kvm01" } });
  });

  it("refuses a certificate from another CA, even with the same subject", async () => {
    const cert = await agentCert(otherCa, "kvm01");
    const v = new PeerVerifier(ca.certPem, noRevocations).verify(new Uint8Array(cert.rawData));
    expect(v).toEqual({ ok: false, reason: expect.stringMatching(/not issued by this controller's CA/) });
  });

  it("refuses an expired certificate and one not yet valid", async () => {
    const cert = await agentCert(ca, "kvm01", 10_000);
    const later = new PeerVerifier(ca.certPem, noRevocations, () => Date.now() + 60_000).verify(
      new Uint8Array(cert.rawData),
    );
    expect(later).toEqual({ ok: false, reason: expect.stringMatching(/expired/) });
    const earlier = new PeerVerifier(ca.certPem, noRevocations, () => Date.now() - 3_600_000).verify(
      new Uint8Array(cert.rawData),
    );
    expect(earlier).toEqual({ ok: false, reason: expect.stringMatching(/not valid before/) });
  });

  it("tells agent and admin certificates apart: neither passes for the other, a server certificate for neither", async () => {
    const keys = await generateKeyPair();
    const admin = await ca.issue({
      subject: "CN=alice, O=virtfleet-admin, OU=operator",
      publicKey: keys.publicKey,
      ttlMs: 60_000,
      usage: "client",
    });
    const agent = await agentCert(ca, "alice");
    const server = await ca.issue({
      subject: "CN=virtfleet-controller, O=virtfleet-controller",
      publicKey: keys.publicKey,
      ttlMs: 60_000,
      usage: "server",
    });
    const forgedOrg = await ca.issue({
      subject: "CN=alice, O=virtfleet-admin, OU=admin",
      publicKey: keys.publicKey,
      ttlMs: 60_000,
      usage: "server",
    });
    const verifier = new PeerVerifier(ca.certPem, noRevocations);
    expect(verifier.verify(new Uint8Array(admin.rawData))).toMatchObject({
      ok: true,
      identity: { kind: "admin", name: "alice", role: "operator" },
    });
    expect(verifier.verify(new Uint8Array(agent.rawData))).toMatchObject({
      ok: true,
      identity: { kind: "agent", host: "alice" },
    });
    expect(verifier.verify(new Uint8Array(server.rawData))).toEqual({
      ok: false,
      reason: expect.stringMatching(/server certificate/),
    });
    expect(verifier.verify(new Uint8Array(forgedOrg.rawData))).toEqual({
      ok: false,
      reason: expect.stringMatching(/clientAuth/),
    });
    expect(verifier.verify(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
  });

  it("reads serial, dates and names as @peculiar/x509 does (node:crypto parses them)", async () => {
    const verifier = new PeerVerifier(ca.certPem, noRevocations);
    for (let i = 0; i < 12; i++) {
      const cert = await agentCert(ca, `kvm-${i}.lab`, 3_600_000 + i * 1000);
      const v = verifier.verify(new Uint8Array(cert.rawData));
      expect(v).toMatchObject({
        ok: true,
        identity: identityOf(cert),
        serial: cert.serialNumber.toLowerCase(),
        notAfter: cert.notAfter.getTime(),
      });
    }
  });

  it("refuses a subject with two common names or an escaped character in a name", async () => {
    const keys = await generateKeyPair();
    const verifier = new PeerVerifier(ca.certPem, noRevocations);
    const twoNames = await ca.issue({
      subject: "CN=a, CN=b, O=virtfleet-agent",
      publicKey: keys.publicKey,
      ttlMs: 60_000,
      usage: "client",
    });
    expect(verifier.verify(new Uint8Array(twoNames.rawData))).toEqual({
      ok: false,
      reason: expect.stringMatching(/without a valid host name/),
    });
    const escaped = await ca.issue({
      subject: "CN=a\\,b, O=virtfleet-agent",
      publicKey: keys.publicKey,
      ttlMs: 60_000,
      usage: "client",
    });
    expect(verifier.verify(new Uint8Array(escaped.rawData))).toEqual({
      ok: false,
      reason: expect.stringMatching(/without a valid host name/),
    });
  });
});

describe.each(ENGINES)("the certificate registry (%s)", { timeout: 60_000 }, (engine) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(engine);
  }, 60_000);
  afterEach(() => store.close(), 60_000);

  it("refuses a revoked certificate from the moment it is revoked", async () => {
    const registry = await CertificateRegistry.open(store.db);
    const cert = await agentCert(ca, "kvm02");
    const serial = cert.serialNumber.toLowerCase();
    await registry.record({
      serial,
      kind: "agent",
      name: "kvm02",
      role: "",
      fingerprint: "f",
      notBefore: 0,
      notAfter: cert.notAfter.getTime(),
      issuedAt: Date.now(),
    });
    const verifier = new PeerVerifier(ca.certPem, registry);
    expect(verifier.verify(new Uint8Array(cert.rawData)).ok).toBe(true);
    expect(await registry.revoke("agent", "kvm02", "test", Date.now())).toEqual([serial]);
    expect(verifier.verify(new Uint8Array(cert.rawData))).toEqual({
      ok: false,
      reason: expect.stringMatching(/revoked/),
    });
    // persisted: a registry opened again still knows
    expect((await CertificateRegistry.open(store.db)).isRevoked(serial)).toBe(true);
  });

  it("takes a certificate the registry records as issued by this CA from its record (no parse), still checking dates and revocation", async () => {
    const registry = await CertificateRegistry.open(store.db);
    const cert = await agentCert(ca, "kvm03", 10_000);
    const serial = cert.serialNumber.toLowerCase();
    // The record names another host than the subject: an answer naming it came from the record.
    await registry.record({
      serial,
      kind: "agent",
      name: "as-recorded",
      role: "",
      fingerprint: fingerprintOf(cert),
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      issuedAt: Date.now(),
    });
    const der = new Uint8Array(cert.rawData);
    expect(new PeerVerifier(ca.certPem, registry).verify(der)).toMatchObject({
      ok: true,
      identity: { kind: "agent", host: "as-recorded" },
      serial,
    });
    expect(new PeerVerifier(ca.certPem, registry, () => Date.now() + 60_000).verify(der)).toEqual({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });
    await registry.revoke("agent", "as-recorded", "test", Date.now());
    expect(new PeerVerifier(ca.certPem, registry).verify(der)).toEqual({
      ok: false,
      reason: expect.stringMatching(/revoked/),
    });
    // Not recorded (another CA's certificate): parsed and its signature checked, as before.
    expect(
      new PeerVerifier(ca.certPem, registry).verify(new Uint8Array((await agentCert(otherCa, "kvm03")).rawData)),
    ).toEqual({ ok: false, reason: expect.stringMatching(/not issued by this controller's CA/) });
  });

  it("open loads what is stored; refresh picks up what another registry of the store wrote", async () => {
    const cert = await agentCert(ca, "kvm04");
    const serial = cert.serialNumber.toLowerCase();
    const fingerprint = fingerprintOf(cert);
    const record = {
      serial,
      kind: "agent" as const,
      name: "kvm04",
      role: "",
      fingerprint,
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      issuedAt: Date.now(),
    };
    const writer = await CertificateRegistry.open(store.db);
    const reader = await CertificateRegistry.open(store.db);
    await writer.record(record);
    expect(writer.issuedWithFingerprint(fingerprint)).toEqual({ ...record, revokedAt: null });
    expect(reader.issuedWithFingerprint(fingerprint)).toBeUndefined();
    await reader.refresh();
    expect(reader.issuedWithFingerprint(fingerprint)).toEqual({ ...record, revokedAt: null });
    expect(await writer.revoke("agent", "kvm04", "test", 5)).toEqual([serial]);
    expect(await writer.revoke("agent", "kvm04", "test", 6)).toEqual([]);
    expect(writer.issuedWithFingerprint(fingerprint)?.revokedAt).toBe(5);
    expect(reader.isRevoked(serial)).toBe(false);
    await reader.refresh();
    expect(reader.isRevoked(serial)).toBe(true);
    expect((await CertificateRegistry.open(store.db)).issuedWithFingerprint(fingerprint)?.revokedAt).toBe(5);
    expect(await reader.issuedTo("agent", "kvm04")).toEqual([{ ...record, revokedAt: 5 }]);
    // An expired certificate is not kept in memory (the verifier parses it and refuses its dates).
    expect(
      (await CertificateRegistry.open(store.db, () => record.notAfter + 1)).issuedWithFingerprint(fingerprint),
    ).toBeUndefined();
  });
});

describe("the certificate registry on PostgreSQL, two controllers at once", { timeout: 60_000 }, () => {
  it("two registries on two pools revoking the same holder at once report each serial once", async () => {
    const store = await openTestStore("postgres");
    const second = await PgDatabase.connect({ url: store.postgres!.url, max: 4 });
    try {
      const a = await CertificateRegistry.open(store.db);
      const b = await CertificateRegistry.open(second);
      const serials = Array.from({ length: 6 }, (_, i) => `0${i}`);
      for (const serial of serials)
        await a.record({
          serial,
          kind: "agent",
          name: "kvm05",
          role: "",
          fingerprint: `f${serial}`,
          notBefore: 0,
          notAfter: Date.now() + 60_000,
          issuedAt: 1,
        });
      const revoked = await Promise.all([a, b, a, b].map((r, i) => r.revoke("agent", "kvm05", "race", i)));
      expect(revoked.flat().sort()).toEqual(serials);
    } finally {
      await second.close();
      await store.close();
    }
  });
});
