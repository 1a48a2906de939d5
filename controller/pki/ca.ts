import { randomBytes, type webcrypto } from "node:crypto";
import { join } from "node:path";
import {
  allExist,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  fingerprintOf,
  generateKeyPair,
  keyMatchesCertificate,
  keyPairFromPem,
  PkiError,
  privateKeyToPem,
  readPemFile,
  SIGNING_ALGORITHM,
  writePrivateFile,
  x509,
} from "../../common/pki/index.js";
import { CA_LIFETIME_MS, validity } from "./lifetimes.js";

/** Where the CA comes from: the controller's own (in the data folder) or the operator's files. */
export interface CaSource {
  /** Operator-supplied CA (--ca-cert/--ca-key): read in place on every start, never written. */
  certFile?: string;
  keyFile?: string;
  /**
   * PostgreSQL store (replicas): the file of the 32-byte key sealing the shared CA's key in the
   * store (--store-key-file, 0600; ca-store.ts). Required there in secure mode; refused with SQLite.
   */
  storeKeyFile?: string;
}

export interface IssueRequest {
  subject: string;
  publicKey: x509.PublicKey | webcrypto.CryptoKey;
  ttlMs: number;
  usage: "client" | "server";
  /** Server certificates: the names and addresses it answers to. */
  dnsNames?: string[];
  ipAddresses?: string[];
  now?: number;
}

export const CA_DIR = "pki";
export const CA_CERT_FILE = "ca.cert.pem";
export const CA_KEY_FILE = "ca.key.pem";

/** A CA's PEM texts as read from its files (`operator`: --ca-cert/--ca-key, else the data folder's). */
export interface CaFiles {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  operator: boolean;
}

/** 16 random bytes, positive (top bit clear), as hex. */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString("hex");
}

/**
 * The controller's certificate authority: ECDSA P-256. Contract: `open` reuses the CA files
 * in `<data>/pki/` (or the operator's), creates them (0600) only when neither exists, and
 * refuses a half-present, mismatched, expired or non-CA pair rather than replacing it (a new
 * CA would orphan every enrolled host).
 */
export class CertificateAuthority {
  readonly fingerprint: string;
  readonly certPem: string;

  private constructor(
    readonly cert: x509.X509Certificate,
    private readonly keys: webcrypto.CryptoKeyPair,
    /** Where it was loaded from (or created). */
    readonly certFile: string,
    readonly created: boolean,
  ) {
    this.fingerprint = fingerprintOf(cert);
    this.certPem = cert.toString("pem") + "\n";
  }

  static async open(dataDir: string, source: CaSource = {}, now = Date.now()): Promise<CertificateAuthority> {
    const files = CertificateAuthority.readFiles(dataDir, source);
    if (files) return CertificateAuthority.fromPem(files, now, false);
    const certFile = join(dataDir, CA_DIR, CA_CERT_FILE);
    const keyFile = join(dataDir, CA_DIR, CA_KEY_FILE);
    return CertificateAuthority.create(certFile, keyFile, now);
  }

  /**
   * The CA files that exist for `dataDir`/`source`, read (not yet checked: `fromPem` does):
   * the operator's (--ca-cert/--ca-key) when given, else `<data>/pki/ca.{cert,key}.pem` when
   * both exist; undefined when neither. Refuses one option without the other and a
   * half-present pair in the data folder.
   */
  static readFiles(dataDir: string, source: CaSource = {}): CaFiles | undefined {
    if (source.certFile || source.keyFile) {
      if (!source.certFile || !source.keyFile)
        throw new PkiError(
          "--ca-cert and --ca-key go together: give both files of the CA, or neither to let the controller make its own",
        );
      return CertificateAuthority.read(source.certFile, source.keyFile, true);
    }
    const certFile = join(dataDir, CA_DIR, CA_CERT_FILE);
    const keyFile = join(dataDir, CA_DIR, CA_KEY_FILE);
    if (allExist(certFile, keyFile)) return CertificateAuthority.read(certFile, keyFile, false);
    if (allExist(certFile) || allExist(keyFile)) {
      throw new PkiError(
        `only one of ${certFile} and ${keyFile} exists; restore the missing one (a new CA would lock out every enrolled host) or remove both to start over`,
      );
    }
    return undefined;
  }

  private static read(certFile: string, keyFile: string, operator: boolean): CaFiles {
    return {
      certPem: readPemFile(certFile, "the CA certificate"),
      keyPem: readPemFile(keyFile, "the CA key"),
      certFile,
      keyFile,
      operator,
    };
  }

  /** A new CA (key and self-signed certificate) in memory, as PEM; nothing is written. */
  static async generate(now = Date.now()): Promise<{ certPem: string; keyPem: string }> {
    const { cert, keys } = await newCa(now);
    return { certPem: cert.toString("pem") + "\n", keyPem: await privateKeyToPem(keys.privateKey) };
  }

  private static async create(certFile: string, keyFile: string, now: number): Promise<CertificateAuthority> {
    const { cert, keys } = await newCa(now);
    // key first: a cert without its key is refused on the next start, a key alone too, but never silently replaced
    writePrivateFile(keyFile, await privateKeyToPem(keys.privateKey));
    writePrivateFile(certFile, cert.toString("pem") + "\n");
    return new CertificateAuthority(cert, keys, certFile, true);
  }

  /**
   * The CA from its PEM texts, checked: a CA certificate (CA:TRUE), the key its own, in date.
   * `certFile`/`keyFile` name where the texts came from in errors (a file, or the store's row).
   */
  static async fromPem(
    pems: { certPem: string; keyPem: string; certFile: string; keyFile: string },
    now: number,
    created: boolean,
  ): Promise<CertificateAuthority> {
    const { certFile, keyFile } = pems;
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(pems.certPem);
    } catch (err) {
      throw new PkiError(`${certFile} is not a PEM X.509 certificate`, { cause: err });
    }
    const keys = await keyPairFromPem(pems.keyPem, keyFile);
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    if (!bc?.ca) throw new PkiError(`${certFile} is not a CA certificate (basicConstraints CA:TRUE missing)`);
    if (!(await keyMatchesCertificate(keys, cert))) throw new PkiError(`${keyFile} is not the key of ${certFile}`);
    if (cert.notAfter.getTime() <= now)
      throw new PkiError(
        `the CA certificate ${certFile} expired on ${cert.notAfter.toISOString()}; every certificate it issued is invalid too`,
      );
    return new CertificateAuthority(cert, keys, certFile, created);
  }

  /** Signs a leaf certificate. The subject and every extension come from `req`, never from a CSR. */
  async issue(req: IssueRequest): Promise<x509.X509Certificate> {
    const now = req.now ?? Date.now();
    const { notBefore, notAfter } = validity(now, req.ttlMs);
    const end = notAfter.getTime() > this.cert.notAfter.getTime() ? this.cert.notAfter : notAfter;
    const publicKey =
      req.publicKey instanceof x509.PublicKey
        ? await req.publicKey.export(SIGNING_ALGORITHM, ["verify"])
        : req.publicKey;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([req.usage === "server" ? EKU_SERVER_AUTH : EKU_CLIENT_AUTH], false),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.cert),
    ];
    const names = [
      ...(req.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
      ...(req.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ];
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
    return x509.X509CertificateGenerator.create({
      serialNumber: newSerial(),
      subject: req.subject,
      issuer: this.cert.subjectName,
      notBefore,
      notAfter: end,
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey,
      signingKey: this.keys.privateKey,
      extensions,
    });
  }

  /** True when this CA's key signed `cert` (dates not checked). */
  async signed(cert: x509.X509Certificate): Promise<boolean> {
    try {
      return await cert.verify({ publicKey: this.cert, signatureOnly: true });
    } catch {
      return false;
    }
  }
}

async function newCa(now: number): Promise<{ cert: x509.X509Certificate; keys: webcrypto.CryptoKeyPair }> {
  const keys = await generateKeyPair();
  const id = randomBytes(4).toString("hex");
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: `CN=virtfleet CA ${id}, O=virtfleet`,
    ...validity(now, CA_LIFETIME_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}
