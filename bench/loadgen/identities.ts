import { X509Certificate } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, appendFileSync, copyFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { openDatabase } from "../../common/index.js";
import { applyPgMigrations, PgDatabase } from "../../common/postgres/index.js";
import {
  CertificateAuthority,
  CertificateRegistry,
  type IssuedCertificate,
  CA_CERT_FILE,
  CA_DIR,
  CA_KEY_FILE,
} from "../../controller/pki/index.js";
import { CONTROLLER_DB_FILE, CONTROLLER_MIGRATIONS } from "../../controller/database/index.js";
import { agentSubject, fingerprintOf, generateKeyPair, privateKeyToPem } from "../../common/pki/index.js";

/** One simulated host's mTLS identity: its own key and a certificate from the controller's CA. */
export interface AgentIdentity {
  host: string;
  certPem: string;
  keyPem: string;
}

const IDENTITIES_FILE = "agents.jsonl";

/** Where the benchmark CA and identities are cached between runs (VIRTFLEET_BENCH_CACHE overrides). */
export function identityCacheDir(): string {
  return process.env.VIRTFLEET_BENCH_CACHE ?? join(tmpdir(), "virtfleet-bench-identities");
}

/** The file of cached identities (one JSON AgentIdentity per line) in `cacheDir`. */
export function identitiesFile(cacheDir: string): string {
  return join(cacheDir, IDENTITIES_FILE);
}

/** The first `n` identities already cached in `cacheDir` (fewer when fewer are cached; none issued). */
export async function cachedIdentities(cacheDir: string, n: number): Promise<AgentIdentity[]> {
  const file = identitiesFile(cacheDir);
  return existsSync(file) ? readIdentities(file, n) : [];
}
const TTL_MS = 365 * 24 * 3_600_000;

/** Simulated host names: lg-00001, lg-00002, … */
export function simulatedHost(i: number): string {
  return `lg-${String(i + 1).padStart(5, "0")}`;
}

/**
 * A CA and `n` agent identities in `cacheDir` (made once, extended when more are needed; a
 * fresh key pair per host, certificates issued directly by the CA as enrolment would). Each
 * benchmark run copies the CA into a fresh controller data folder and records the certificates
 * in its registry (recordIdentities), so the controller trusts and knows them as if 10,000
 * agents had enrolled.
 */
export async function prepareIdentities(
  cacheDir: string,
  n: number,
  progress: (done: number) => void = () => undefined,
): Promise<AgentIdentity[]> {
  mkdirSync(cacheDir, { recursive: true });
  const ca = await CertificateAuthority.open(cacheDir);
  const file = identitiesFile(cacheDir);
  const have = await cachedIdentities(cacheDir, n);
  for (let i = have.length; i < n; i++) {
    const host = simulatedHost(i);
    const keys = await generateKeyPair();
    const cert = await ca.issue({
      subject: agentSubject(host),
      publicKey: keys.publicKey,
      ttlMs: TTL_MS,
      usage: "client",
    });
    const id = { host, certPem: cert.toString("pem") + "\n", keyPem: await privateKeyToPem(keys.privateKey) };
    appendFileSync(file, JSON.stringify(id) + "\n");
    have.push(id);
    if (i % 500 === 0) progress(i);
  }
  return have.slice(0, n);
}

/** The cached benchmark CA's certificate (PEM): what simulated agents trust. */
export function cachedCaPem(cacheDir: string): string {
  return readFileSync(join(cacheDir, CA_DIR, CA_CERT_FILE), "utf8");
}

/** Puts the cached CA into a controller data folder (before the controller first starts there). */
export function installCa(cacheDir: string, dataDir: string): string {
  mkdirSync(join(dataDir, CA_DIR), { recursive: true, mode: 0o700 });
  for (const f of [CA_CERT_FILE, CA_KEY_FILE]) copyFileSync(join(cacheDir, CA_DIR, f), join(dataDir, CA_DIR, f));
  return join(dataDir, CA_DIR, CA_CERT_FILE);
}

/**
 * Records `identities` in a fresh controller data folder's certificate registry, as enrolment
 * records each certificate it issues (the controller then knows them by fingerprint).
 */
export async function recordIdentities(identities: readonly AgentIdentity[], dataDir: string): Promise<void> {
  const db = openDatabase(join(dataDir, CONTROLLER_DB_FILE), CONTROLLER_MIGRATIONS);
  try {
    const registry = await CertificateRegistry.open(db);
    const now = Date.now();
    db.transaction(() => {
      for (const id of identities) void registry.record(issuedRecord(id, now));
    })();
  } finally {
    db.close();
  }
}

/**
 * Records `identities` in the certificate registry of a PostgreSQL store (`url`: the
 * controller replicas' shared database, migrated here first as a replica would), as enrolment
 * on any replica records what it issues.
 */
export async function recordIdentitiesInPostgres(identities: readonly AgentIdentity[], url: string): Promise<void> {
  const db = await PgDatabase.connect({ url, max: 4, applicationName: "virtfleet-bench" });
  try {
    await applyPgMigrations(db, CONTROLLER_MIGRATIONS);
    const now = Date.now();
    await db.transaction(async (tx) => {
      const registry = await CertificateRegistry.open(tx);
      for (const id of identities) await registry.record(issuedRecord(id, now));
    });
  } finally {
    await db.close();
  }
}

function issuedRecord(id: AgentIdentity, now: number): IssuedCertificate {
  const cert = new X509Certificate(id.certPem);
  return {
    serial: cert.serialNumber.toLowerCase(),
    kind: "agent",
    name: id.host,
    role: "",
    fingerprint: fingerprintOf(new Uint8Array(cert.raw)),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    issuedAt: now,
  };
}

async function readIdentities(file: string, n: number): Promise<AgentIdentity[]> {
  const out: AgentIdentity[] = [];
  const lines = createInterface({ input: createReadStream(file) });
  for await (const line of lines) {
    if (out.length >= n) break;
    if (line.trim() !== "") out.push(JSON.parse(line) as AgentIdentity);
  }
  lines.close();
  return out;
}
