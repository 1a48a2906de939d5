/** What a caller asks the audit log to record. `detail` is redacted before it is stored. */
export interface AuditEntry {
  /** Who: "admin:NAME", "agent:HOST", "controller", "insecure", "anonymous" (see controller/auth actorOf). */
  actor: string;
  /** What, as `noun.verb`: "rollout.pause", "token.create", "cert.revoke", "host.enrol", "policy.revision". */
  action: string;
  /** To what: a policy, a host, a name; "" when nothing in particular. */
  target: string;
  /** Anything else worth knowing, as a JSON object; keys that look like secrets are redacted. */
  detail?: Record<string, unknown>;
}

/** One stored record, exactly as it was hashed. */
export interface AuditRecord {
  seq: number;
  /** ISO 8601 UTC, millisecond precision. */
  at: string;
  actor: string;
  action: string;
  target: string;
  /** Canonical JSON of the (redacted) detail object. */
  detailJson: string;
  /** The previous record's hash; GENESIS_HASH for seq 1. */
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  /** At most this many records: the newest ones, returned oldest first (default DEFAULT_AUDIT_LIMIT, capped at MAX_AUDIT_LIMIT). */
  limit?: number;
  /** Only records at or after this time (ms since the epoch). */
  since?: number;
  /** Only records whose seq is below this one (the next page back from a record). */
  beforeSeq?: number;
}

/** The outcome of walking the whole chain. */
export interface AuditVerification {
  /** True when every record's seq, link and hash verify. */
  ok: boolean;
  /** Records examined (all of them when ok; up to and including the first bad one otherwise). */
  checked: number;
  /** The first record whose seq, link or hash does not verify; null when ok. */
  firstBadSeq: number | null;
  /** What is wrong with it, in words; null when ok. */
  problem: string | null;
}

/** Where an audited action is written; AuditLog implements it, tests may fake it. */
export interface AuditSink {
  /** Resolves once the record is committed; throws at once for an entry that is a programming error. */
  append(entry: AuditEntry): Promise<AuditRecord>;
}
