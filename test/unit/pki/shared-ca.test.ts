import { execFileSync } from "node:child_process";
import { randomBytes, X509Certificate as NodeX509 } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OptionError, type Queryable } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import { createCsr, generateKeyPair } from "../../../common/pki/index.js";
import {
  CA_CERT_FILE,
  CA_DIR,
  CA_KEY_FILE,
  CertificateAuthority,
  ControllerPki,
  issueAdminCertificate,
  openSharedCa,
  SealingKey,
  SHARED_CA_NAME,
  StoreKeyError,
} from "../../../controller/pki/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { secretFile, tempDir } from "../../harness/processes.js";

// The CA that controller replicas on one store share (controller/pki/ca-store.ts): stored once,
// its key sealed with the key of --store-key-file; replicas = own connection, own data folder.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function folder(): string {
  const d = tempDir("vft-shared-ca-");
  cleanups.push(d.cleanup);
  return d.path;
}

async function store(engine: "sqlite" | "postgres"): Promise<TestStore> {
  const s = await openTestStore(engine);
  cleanups.push(() => s.close());
  return s;
}

/** A second replica's own connection to `s` (PostgreSQL), or the same handle (SQLite: one process). */
async function replicaDb(s: TestStore): Promise<Queryable> {
  if (!s.postgres) return s.db;
  const db = await PgDatabase.connect({ url: s.postgres.url, max: 2 });
  cleanups.push(() => db.close());
  return db;
}

/** The error `p` rejects with (a resolution fails the test). */
async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e as Error,
  );
}

interface StoredRow {
  cert_pem: string;
  key_sealed: string;
  key_check: string;
  created_by: string;
}

const keyBytes = randomBytes(32);
const sealing = SealingKey.of(keyBytes, "/etc/virtfleet/store.key");

describe("the sealing key (--store-key-file)", () => {
  it("reads 32 raw bytes, 64 hex digits or base64 as the same key, and identifies it by its check", async () => {
    const dir = folder();
    const raw = await SealingKey.read(secretFile(dir, "raw", keyBytes));
    const hex = await SealingKey.read(secretFile(dir, "hex", `${keyBytes.toString("hex")}\n`));
    const b64 = await SealingKey.read(secretFile(dir, "b64", `${keyBytes.toString("base64")}\n`));
    expect(raw.check).toBe(sealing.check);
    expect(hex.check).toBe(sealing.check);
    expect(b64.check).toBe(sealing.check);
    expect(raw.check).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(raw.check).not.toContain(keyBytes.toString("hex"));
    expect(JSON.stringify(raw)).not.toContain(keyBytes.toString("hex"));
    const other = SealingKey.of(randomBytes(32));
    expect(other.matches(sealing.check)).toBe(false);
    expect(raw.matches(sealing.check)).toBe(true);
  });

  it("refuses a file of the wrong size, readable by others, or missing, naming the file and never the content", async () => {
    const dir = folder();
    const short = randomBytes(16).toString("hex");
    const shortFile = secretFile(dir, "short", short);
    const err = await failure(SealingKey.read(shortFile));
    expect(err).toBeInstanceOf(OptionError);
    expect(err.message).toContain("--store-key-file");
    expect(err.message).toContain(shortFile);
    expect(err.message).toMatch(/32-byte key/);
    expect(err.message).not.toContain(short);
    await expect(SealingKey.read(secretFile(dir, "open", keyBytes, 0o644))).rejects.toThrow(/chmod 600/);
    await expect(SealingKey.read(secretFile(dir, "tiny", "abc\n"))).rejects.toThrow(/tiny must hold a 32-byte key/);
    await expect(SealingKey.read(join(dir, "absent"))).rejects.toThrow(/absent does not exist/);
  });

  it("seals with AES-256-GCM bound to its aad: another aad or an altered text does not open", () => {
    const sealed = sealing.seal("secret PEM", "row a");
    expect(sealed).toMatch(/^aes-256-gcm:/);
    expect(sealed).not.toContain("secret");
    expect(sealing.open(sealed, "row a", "x")).toBe("secret PEM");
    expect(sealing.seal("secret PEM", "row a")).not.toBe(sealed); // fresh IV each time
    expect(() => sealing.open(sealed, "row b", "x")).toThrow(StoreKeyError);
    const altered = sealed.slice(0, -4) + (sealed.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect(() => sealing.open(altered, "row a", "x")).toThrow(StoreKeyError);
  });
});

describe.each(ENGINES)("the shared CA on a %s store", (engine) => {
  it("is created and stored sealed by the first replica and loaded by the next", async () => {
    const s = await store(engine);
    const now = Date.now();
    const first = await openSharedCa({ db: s.db, key: sealing, dataDir: folder(), replica: "r1", now });
    expect(first.created).toBe(true);
    const row = await s.db.get<StoredRow>("SELECT * FROM pki_ca WHERE name = ?", [SHARED_CA_NAME]);
    expect(row?.cert_pem).toBe(first.certPem);
    expect(row?.created_by).toBe("r1");
    expect(row?.key_check).toBe(sealing.check);
    // the key is nowhere in clear: not as PEM, not as its base64 body
    const all = JSON.stringify(await s.db.all("SELECT * FROM pki_ca"));
    expect(all).not.toContain("PRIVATE KEY");
    expect(row?.key_sealed).toMatch(/^aes-256-gcm:/);

    const second = await openSharedCa({ db: await replicaDb(s), key: sealing, dataDir: folder(), replica: "r2", now });
    expect(second.created).toBe(false);
    expect(second.fingerprint).toBe(first.fingerprint);
    // the loaded key is the CA's: what it signs verifies with the first replica's certificate
    const keys = await generateKeyPair();
    const leaf = await second.issue({
      subject: "CN=kvm01, O=virtfleet-agent",
      publicKey: keys.publicKey,
      ttlMs: 60_000,
      usage: "client",
    });
    expect(await first.signed(leaf)).toBe(true);
    expect((await s.db.all("SELECT name FROM pki_ca")).length).toBe(1);
  });

  it("refuses a replica whose key file holds another key, naming the file, before decrypting", async () => {
    const s = await store(engine);
    await openSharedCa({ db: s.db, key: sealing, dataDir: folder(), replica: "r1", now: Date.now() });
    const dir = folder();
    const wrong = randomBytes(32);
    const wrongFile = secretFile(dir, "other.key", wrong);
    const err = await failure(
      openSharedCa({
        db: await replicaDb(s),
        key: await SealingKey.read(wrongFile),
        dataDir: folder(),
        replica: "r2",
        now: Date.now(),
      }),
    );
    expect(err).toBeInstanceOf(StoreKeyError);
    expect(err.message).toContain(wrongFile);
    expect(err.message).toMatch(/sealed with another key.*same key file \(--store-key-file; nothing was decrypted\)/);
    for (const k of [wrong, keyBytes]) {
      expect(err.message).not.toContain(k.toString("hex"));
      expect(err.message).not.toContain(k.toString("base64"));
    }
  });

  it("refuses a replica given another operator CA (two replicas with different CA keys), accepts the same one", async () => {
    const s = await store(engine);
    const operatorDir = folder();
    await CertificateAuthority.open(operatorDir);
    const operator = {
      certFile: join(operatorDir, CA_DIR, CA_CERT_FILE),
      keyFile: join(operatorDir, CA_DIR, CA_KEY_FILE),
    };
    const imported = await openSharedCa({
      db: s.db,
      key: sealing,
      dataDir: folder(),
      source: operator,
      replica: "r1",
      now: Date.now(),
    });
    expect(imported.created).toBe(false); // the operator's, imported
    const row = await s.db.get<StoredRow>("SELECT * FROM pki_ca WHERE name = ?", [SHARED_CA_NAME]);
    expect(row?.cert_pem).toBe(imported.certPem);
    expect(row?.key_sealed).not.toContain(readFileSync(operator.keyFile, "utf8").split("\n")[1]);

    const same = await openSharedCa({
      db: await replicaDb(s),
      key: sealing,
      dataDir: folder(),
      source: operator,
      replica: "r2",
      now: Date.now(),
    });
    expect(same.fingerprint).toBe(imported.fingerprint);

    const otherDir = folder();
    const other = await CertificateAuthority.open(otherDir);
    const otherCert = join(otherDir, CA_DIR, CA_CERT_FILE);
    const err = await failure(
      openSharedCa({
        db: await replicaDb(s),
        key: sealing,
        dataDir: folder(),
        source: { certFile: otherCert, keyFile: join(otherDir, CA_DIR, CA_KEY_FILE) },
        replica: "r3",
        now: Date.now(),
      }),
    );
    expect(err).toBeInstanceOf(StoreKeyError);
    expect(err.message).toContain("two replicas with different CA keys");
    expect(err.message).toContain(`--ca-cert ${otherCert}`);
    expect(err.message).toContain(other.fingerprint);
    expect(err.message).toContain(imported.fingerprint);
    expect(err.message).not.toContain("PRIVATE KEY");
  });

  it("imports the CA of a data folder moved from SQLite, and refuses another controller's data folder", async () => {
    const s = await store(engine);
    const migrated = folder();
    const own = await CertificateAuthority.open(migrated);
    const shared = await openSharedCa({ db: s.db, key: sealing, dataDir: migrated, replica: "r1", now: Date.now() });
    expect(shared.fingerprint).toBe(own.fingerprint);

    const foreign = folder();
    await CertificateAuthority.open(foreign);
    await expect(
      openSharedCa({ db: await replicaDb(s), key: sealing, dataDir: foreign, replica: "r2", now: Date.now() }),
    ).rejects.toThrow(/two replicas with different CA keys: the CA in this replica's data folder/);
  });

  it("is created once when replicas start at the same moment", async () => {
    const s = await store(engine);
    const dbs = [s.db, await replicaDb(s), await replicaDb(s), await replicaDb(s)];
    const cas = await Promise.all(
      dbs.map((db, i) => openSharedCa({ db, key: sealing, dataDir: folder(), replica: `r${i}`, now: Date.now() })),
    );
    expect(new Set(cas.map((c) => c.fingerprint)).size).toBe(1);
    expect(cas.filter((c) => c.created).length).toBe(1);
    expect((await s.db.all("SELECT name FROM pki_ca")).length).toBe(1);
  });
});

describe("ControllerPki on replicas of one PostgreSQL store", () => {
  async function replica(s: TestStore, keyFile: string, db?: Queryable) {
    const dataDir = folder();
    const pki = await ControllerPki.open({
      dataDir,
      db: db ?? (await replicaDb(s)),
      listenHost: "127.0.0.1",
      extraNames: [`replica-${randomBytes(2).toString("hex")}.example.org`],
      ca: { storeKeyFile: keyFile },
    });
    return { pki, dataDir };
  }

  it("share one CA: each replica's server certificate chains to it, and what one issues the other accepts", async () => {
    const s = await store("postgres");
    const keyFile = secretFile(folder(), "store.key", keyBytes);
    const a = await replica(s, keyFile, s.db);
    const b = await replica(s, keyFile);
    expect(a.pki.ca.created).toBe(true);
    expect(b.pki.ca.created).toBe(false);
    expect(b.pki.caFingerprint).toBe(a.pki.caFingerprint);
    // the CA key lives in the store only; each replica keeps its own server identity in its folder
    for (const r of [a, b]) {
      expect(existsSync(join(r.dataDir, CA_DIR, CA_KEY_FILE))).toBe(false);
      expect(existsSync(join(r.dataDir, CA_DIR, "server.key.pem"))).toBe(true);
    }
    expect(b.pki.serverTls.certPem).not.toBe(a.pki.serverTls.certPem);
    const dir = folder();
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, a.pki.caPem);
    for (const r of [a, b]) {
      const leafFile = join(dir, "server.pem");
      writeFileSync(
        leafFile,
        r.pki.serverTls.certPem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n",
      );
      const out = execFileSync("openssl", ["verify", "-purpose", "sslserver", "-CAfile", caFile, leafFile], {
        encoding: "utf8",
      });
      expect(out).toContain("OK");
    }

    // an admin credential issued on A is accepted by B's verifier (B has not re-read the registry)
    const admin = await issueAdminCertificate(a.pki, { name: "ops", role: "operator" });
    const adminDer = new Uint8Array(new NodeX509(admin.certificatePem).raw);
    const onB = b.pki.verifyPeer(adminDer);
    expect(onB).toMatchObject({ ok: true, identity: { kind: "admin", name: "ops", role: "operator" } });
    // an agent certificate issued on B is accepted by A
    const agentKeys = await generateKeyPair();
    const agent = await b.pki.issueAgent("kvm07", await createCsr("kvm07", agentKeys));
    expect(a.pki.agentOf(new Uint8Array(agent.cert.rawData))).toMatchObject({ ok: true, host: "kvm07" });
    // and a certificate of another CA is not
    const strange = await CertificateAuthority.open(folder());
    const foreign = await strange.issue({
      subject: "CN=kvm07, O=virtfleet-agent",
      publicKey: agentKeys.publicKey,
      ttlMs: 60_000,
      usage: "client",
    });
    expect(a.pki.agentOf(new Uint8Array(foreign.rawData))).toMatchObject({ ok: false });
    // a revocation recorded by A is seen by B after B re-reads the registry
    await a.pki.revokeAdmin("ops", "test");
    await b.pki.registry.refresh();
    expect(b.pki.verifyPeer(adminDer)).toMatchObject({ ok: false });
  });

  it("requires --store-key-file on PostgreSQL and refuses it with SQLite, where the CA stays in DATA/pki", async () => {
    const pg = await store("postgres");
    const err = await failure(ControllerPki.open({ dataDir: folder(), db: pg.db, listenHost: "127.0.0.1" }));
    expect(err).toBeInstanceOf(OptionError);
    expect(err.message).toMatch(/--store-key-file: is required with a postgres:\/\/ --store/);
    expect((await pg.db.all("SELECT name FROM pki_ca")).length).toBe(0);

    const lite = await store("sqlite");
    const keyFile = secretFile(folder(), "store.key", keyBytes);
    await expect(
      ControllerPki.open({ dataDir: folder(), db: lite.db, listenHost: "127.0.0.1", ca: { storeKeyFile: keyFile } }),
    ).rejects.toThrow(/--store-key-file: is for a postgres:\/\/ --store only/);
    const dataDir = folder();
    const pki = await ControllerPki.open({ dataDir, db: lite.db, listenHost: "127.0.0.1" });
    expect(pki.ca.created).toBe(true);
    expect(existsSync(join(dataDir, CA_DIR, CA_KEY_FILE))).toBe(true);
    expect((await lite.db.all("SELECT name FROM pki_ca")).length).toBe(0);
  });
});
