/**
 * Wire structs shared by many procedures (remote_nonnull_domain, _network,
 * _storage_pool, _storage_vol) and their XDR codecs. UUIDs travel as 16 raw bytes and
 * are exposed as canonical lowercase strings.
 */
import { STRING_MAX, UUID_BYTES } from "./constants.js";
import { XdrError, type XdrReader, type XdrWriter } from "./xdr.js";

export interface DomainRef {
  name: string;
  uuid: string;
  /** Running domain id, -1 when inactive. */
  id: number;
}

export interface NetworkRef {
  name: string;
  uuid: string;
}

export interface PoolRef {
  name: string;
  uuid: string;
}

export interface VolumeRef {
  /** Name of the pool holding the volume. */
  pool: string;
  name: string;
  /** libvirt's unique key (the path for dir pools). */
  key: string;
}

export interface SecretRef {
  uuid: string;
  /** virSecretUsageType (SecretUsageType). */
  usageType: number;
  /** The usage ID (iSCSI target / Ceph name / volume path …) the secret is looked up by. */
  usageId: string;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== UUID_BYTES) throw new XdrError(`UUID must be ${UUID_BYTES} bytes, got ${bytes.length}`);
  const h = Buffer.from(bytes).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  if (!UUID_RE.test(uuid)) throw new RangeError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

export function readUuid(r: XdrReader): string {
  return uuidToString(r.fixedOpaque(UUID_BYTES));
}

export function readString(r: XdrReader): string {
  return r.string(STRING_MAX);
}

export function readOptionalString(r: XdrReader): string | null {
  return r.optional((x) => x.string(STRING_MAX));
}

export function writeString(w: XdrWriter, s: string): void {
  w.string(s, STRING_MAX);
}

export function writeOptionalString(w: XdrWriter, s: string | null | undefined): void {
  w.optional(s, (x, v) => x.string(v, STRING_MAX));
}

export function readDomain(r: XdrReader): DomainRef {
  return { name: readString(r), uuid: readUuid(r), id: r.int() };
}

export function writeDomain(w: XdrWriter, d: DomainRef): void {
  writeString(w, d.name);
  w.fixedOpaque(uuidToBytes(d.uuid), UUID_BYTES);
  w.int(d.id);
}

export function readNetwork(r: XdrReader): NetworkRef {
  return { name: readString(r), uuid: readUuid(r) };
}

export function writeNetwork(w: XdrWriter, n: NetworkRef): void {
  writeString(w, n.name);
  w.fixedOpaque(uuidToBytes(n.uuid), UUID_BYTES);
}

export const readPool: (r: XdrReader) => PoolRef = readNetwork;
export const writePool: (w: XdrWriter, p: PoolRef) => void = writeNetwork;

export function readVolume(r: XdrReader): VolumeRef {
  return { pool: readString(r), name: readString(r), key: readString(r) };
}

export function writeVolume(w: XdrWriter, v: VolumeRef): void {
  writeString(w, v.pool);
  writeString(w, v.name);
  writeString(w, v.key);
}

export function readSecret(r: XdrReader): SecretRef {
  return { uuid: readUuid(r), usageType: r.int(), usageId: readString(r) };
}

export function writeSecret(w: XdrWriter, s: SecretRef): void {
  w.fixedOpaque(uuidToBytes(s.uuid), UUID_BYTES);
  w.int(s.usageType);
  writeString(w, s.usageId);
}

/** Minimum encoded sizes, used to bound array counts before decoding. */
export const MIN_DOMAIN_BYTES = 4 + UUID_BYTES + 4;
export const MIN_NETWORK_BYTES = 4 + UUID_BYTES;
export const MIN_VOLUME_BYTES = 12;
