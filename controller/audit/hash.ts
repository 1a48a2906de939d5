import { canonicalHash } from "../../common/index.js";
import type { AuditRecord } from "./types.js";

/** The prev_hash of the first record. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * The record's hash: lower-case hex SHA-256 of the canonical JSON array
 * `[seq, at, actor, action, target, detail_json, prev_hash]` (common canonicalJson: a
 * fixed order of typed fields, so no two different records encode alike). Changing any
 * field, including seq (reordering) or prev_hash (relinking), changes the hash.
 */
export function auditHash(r: Omit<AuditRecord, "hash">): string {
  return canonicalHash([r.seq, r.at, r.actor, r.action, r.target, r.detailJson, r.prevHash]);
}
