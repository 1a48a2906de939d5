import { hostname } from "node:os";
import { type ManagedSecret, readSecretFile, SecretFileError } from "../libvirt-secret/index.js";
import { poolSecretUsage } from "./secret-usage.js";
import type { PoolSpec } from "./spec.js";
import { isPoolType, POOL_TYPE_INFO } from "./types.js";

/** The secret a pool's credentials need: which source field, the libvirt secret, the file. */
export interface PoolSecret {
  /** `source.chap` or `source.auth`: the prefix of its change fields. */
  field: "chap" | "auth";
  secret: ManagedSecret;
  file: string;
}

/** The secret pool `spec` refers to, or null when it has no credentials. */
export function poolSecretOf(spec: Pick<PoolSpec, "name" | "type" | "source">): PoolSecret | null {
  if (!isPoolType(spec.type)) return null;
  const cred = POOL_TYPE_INFO[spec.type].credentials;
  if (cred === null) return null;
  const given = spec.source?.[cred.field];
  if (given === undefined) return null;
  return {
    field: cred.field,
    file: given.secretFile,
    secret: {
      usage: cred.usage,
      usageId: poolSecretUsage(spec.name),
      description: `virtfleet pool/${spec.name} ${cred.usage === "ceph" ? "cephx key" : "CHAP secret"}`,
    },
  };
}

/** Every usage type a pool secret may have (to remove one whatever the type was). */
export const POOL_SECRET_USAGES = ["iscsi", "ceph"] as const;

/**
 * The value libvirt's secret gets from the file (readSecretFile's checks apply): a CHAP
 * password is the file's text without trailing line breaks; a Ceph key file holds the key in
 * base64 (`ceph auth get-key`), which libvirt stores decoded. Errors name the host and the
 * file, never the content.
 */
export async function poolSecretValue(s: PoolSecret, host = hostname()): Promise<Buffer> {
  const raw = await readSecretFile(s.file, host);
  const text = raw.toString("latin1").replace(/[\r\n]+$/, "");
  if (text.length === 0) throw new SecretFileError(host, s.file, "holds only line breaks");
  if (s.secret.usage !== "ceph") return Buffer.from(text, "latin1");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0)
    throw new SecretFileError(host, s.file, "does not hold a base64 Ceph key (as `ceph auth get-key` prints it)");
  return Buffer.from(text, "base64");
}
