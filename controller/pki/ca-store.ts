import type { Queryable } from "../../common/index.js";
import { fingerprintOf, PkiError, x509 } from "../../common/pki/index.js";
import { type CaSource, CertificateAuthority } from "./ca.js";
import { StoreKeyError } from "./errors.js";
import { STORE_KEY_OPTION, type SealingKey } from "./sealing.js";

/** The `pki_ca` row of the controller CA (one per store). */
export const SHARED_CA_NAME = "controller";
/** How the shared CA is named in errors and logs (it has no file). */
export const SHARED_CA_PLACE = "the store's shared CA (table pki_ca)";

interface Row {
  name: string;
  cert_pem: string;
  key_sealed: string;
  key_check: string;
  created_at: number;
  created_by: string;
}

const SQL = {
  read: "SELECT name, cert_pem, key_sealed, key_check, created_at, created_by FROM pki_ca WHERE name = ?",
  // Of replicas starting together, one inserts; the others insert nothing and read its row.
  insert:
    "INSERT INTO pki_ca (name, cert_pem, key_sealed, key_check, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name",
};

export interface SharedCaOptions {
  db: Queryable;
  /** The sealing key (--store-key-file) every replica holds. */
  key: SealingKey;
  /** This replica's data folder: a CA already in `<data>/pki/` is imported, or must be the shared one. */
  dataDir: string;
  /** The operator's CA (--ca-cert/--ca-key), imported or checked against the shared one. */
  source?: CaSource;
  /** Who creates the row (`created_by`), e.g. the host name. */
  replica: string;
  now: number;
}

/**
 * The CA that controller replicas on one store share (table `pki_ca`, schema step 11).
 *
 * Contract: when the store has none, this replica stores one — the operator's (--ca-cert/
 * --ca-key), else the one already in its data folder (a controller moved from SQLite keeps
 * its enrolled hosts), else a new one (`created`) — its key sealed under `key` (AES-256-GCM,
 * the row name and certificate fingerprint bound in), with `key_check` identifying `key`;
 * replicas starting together store one (INSERT … ON CONFLICT DO NOTHING, then everyone reads
 * the row). When the store has one: refused (StoreKeyError) if `key_check` is not `key`'s —
 * before anything is decrypted — and if this replica was given (or holds in its data folder)
 * another CA: two replicas with different CA keys never serve one fleet. Nothing is written
 * to the data folder; the key is never logged nor stored in clear.
 */
export async function openSharedCa(opts: SharedCaOptions): Promise<CertificateAuthority> {
  const { db, key, now } = opts;
  const local = CertificateAuthority.readFiles(opts.dataDir, opts.source);
  const localCa = local ? await CertificateAuthority.fromPem(local, now, false) : undefined;
  let row = await db.get<Row>(SQL.read, [SHARED_CA_NAME]);
  if (!row) {
    const pems = local ?? (await CertificateAuthority.generate(now));
    const ca =
      localCa ??
      (await CertificateAuthority.fromPem({ ...pems, certFile: SHARED_CA_PLACE, keyFile: SHARED_CA_PLACE }, now, true));
    const inserted = await db.get(SQL.insert, [
      SHARED_CA_NAME,
      ca.certPem,
      key.seal(pems.keyPem, aadOf(SHARED_CA_NAME, ca.fingerprint)),
      key.check,
      now,
      opts.replica,
    ]);
    if (inserted) return ca;
    row = await db.get<Row>(SQL.read, [SHARED_CA_NAME]);
    if (!row) throw new PkiError(`${SHARED_CA_PLACE} vanished while this replica started; start it again`);
  }
  const shared = await unsealed(row, key, now);
  if (localCa && localCa.fingerprint !== shared.fingerprint) {
    const given = local?.operator
      ? `--ca-cert ${local.certFile} (sha256 ${localCa.fingerprint})`
      : `the CA in this replica's data folder, ${local?.certFile} (sha256 ${localCa.fingerprint}),`;
    const fix = local?.operator
      ? "give every replica the same --ca-cert/--ca-key, or none (the replicas then use the stored one)"
      : "this data folder belonged to a controller of another fleet: use an empty data folder, or move its pki/ca.*.pem away";
    throw new StoreKeyError(
      `two replicas with different CA keys: ${given} is not the CA the replicas on this store share (sha256 ${shared.fingerprint}, stored by ${row.created_by} on ${new Date(Number(row.created_at)).toISOString()}); ${fix}`,
    );
  }
  return shared;
}

/** The stored CA, its key opened with `key` once `key_check` says it is the right key. */
async function unsealed(row: Row, key: SealingKey, now: number): Promise<CertificateAuthority> {
  const stored = `${SHARED_CA_PLACE}, stored by ${row.created_by} on ${new Date(Number(row.created_at)).toISOString()}`;
  if (!key.matches(row.key_check))
    throw new StoreKeyError(
      `${stored}, was sealed with another key than the one in ${key.file}: every replica needs a copy of the same key file (${STORE_KEY_OPTION}; nothing was decrypted)`,
    );
  let fingerprint: string;
  try {
    fingerprint = fingerprintOf(new x509.X509Certificate(row.cert_pem));
  } catch (err) {
    throw new PkiError(`${stored}, holds no readable certificate`, { cause: err });
  }
  const keyPem = key.open(row.key_sealed, aadOf(row.name, fingerprint), `the key of ${stored},`);
  return CertificateAuthority.fromPem(
    { certPem: row.cert_pem, keyPem, certFile: SHARED_CA_PLACE, keyFile: SHARED_CA_PLACE },
    now,
    false,
  );
}

/** What a sealed CA key is bound to: its row and its certificate (a key moved to another row or certificate does not open). */
function aadOf(name: string, fingerprint: string): string {
  return `virtfleet pki_ca ${name} ${fingerprint}`;
}
