/**
 * Who owns which libvirt object (docs/design/ownership.md). Domains carry virtfleet's marker in
 * their `<metadata>` (kinds/libvirt-xml/metadata.ts); networks, pools and volumes have no
 * usable metadata in libvirt 9.0, so the agent keeps their ownership in its state
 * (agent/state/ownership-ledger.ts). Every object virtfleet creates or adopts gets a record
 * here, domains included (the record is what a rollback reads: which revision created it, and
 * the definition an adoption replaced).
 */

/** The kinds that own libvirt objects (the host resource owns none). */
export type OwnedKind = "domain" | "network" | "pool" | "volume";

export interface OwnershipRecord {
  kind: OwnedKind;
  /** The resource name (`pool/volume` for a volume). */
  name: string;
  /**
   * What makes it the same object: the UUID of a domain, network or pool, the path of a
   * volume. null = recorded by name only (upgrade from a state without records: pinned the
   * first time the object is seen).
   */
  identity: string | null;
  /** The policy that created or adopted it. */
  policy: string;
  /** That policy's revision when it created or adopted it ("" when unknown: upgrade). */
  revision: string;
  /** true: it existed before and virtfleet took it over (`adopt: true`). */
  adopted: boolean;
  /** For an adopted network/pool/domain: its definition (inactive XML) before the adoption. */
  replacedXml: string | null;
  /** ms since the epoch. */
  recordedAt: number;
}

/** The agent's store of records. Writes are durable when they return. */
export interface OwnershipLedger {
  get(kind: OwnedKind, name: string): OwnershipRecord | undefined;
  put(record: OwnershipRecord): void;
  forget(kind: OwnedKind, name: string): void;
  list(): OwnershipRecord[];
}

/**
 * What a run's resources know about ownership: the ledger and the bundle's policy revisions.
 * Absent from a ResourceContext (e.g. `apply --local`, which keeps no state), only the
 * domain marker is checked: networks, pools and volumes of that name are taken as owned.
 */
export interface OwnershipScope {
  readonly ledger: OwnershipLedger;
  /** The revision of `policy` in the bundle being run ("" when unknown). */
  revisionOf(policy: string): string;
  /** Policy revisions this host held that were rolled back (item 3: their creations are removed). */
  isRolledBack(policy: string, revision: string): boolean;
}

/** A run's scope: `ledger` with the revisions of a bundle's policies and its rolled-back revisions. */
export function ownershipScope(
  ledger: OwnershipLedger,
  policies: readonly { name: string; revision: string }[],
  rolledBack: readonly { policy: string; revision: string }[] = [],
): OwnershipScope {
  const revisions = new Map(policies.map((p) => [p.name, p.revision]));
  const bad = new Set(rolledBack.map((r) => `${r.policy}\u0000${r.revision}`));
  return {
    ledger,
    revisionOf: (policy) => revisions.get(policy) ?? "",
    isRolledBack: (policy, revision) => revision !== "" && bad.has(`${policy}\u0000${revision}`),
  };
}
