import type { FieldChange } from "../../common/changes.js";
import { RefusedChangeError } from "../../engine/refusal.js";
import type { OwnedKind, OwnershipScope } from "./ledger.js";

/** An existing libvirt object a resource found under its name. */
export interface ExistingObject {
  kind: OwnedKind;
  name: string;
  /** UUID (domain, network, pool) or path (volume). */
  identity: string;
  /** The policy declaring it. */
  policy: string;
  /** The policy's `adopt`. */
  adopt: boolean;
  /**
   * Domains: whether libvirt's definition carries virtfleet's marker (that decides, not the
   * ledger). Undefined for kinds without metadata: the ledger decides.
   */
  marked?: boolean;
  /** Its current definition, saved when adopting (a rollback of the adopting revision restores it). */
  definition?: () => Promise<string>;
}

/** The change an adoption reports (dry-run and apply alike). */
export const ADOPT_CHANGE: FieldChange = { field: "ownership", from: "unmanaged", to: "adopted", disruption: "live" };

/**
 * Decides whether the resource may manage `o` (call it before reading or touching anything
 * else of the object). Contract:
 * - owned (marker, or a ledger record whose identity matches) → `{ adopting: false }`; a
 *   record made by name only (upgrade) gets its identity pinned when applying;
 * - not owned, `adopt` false → throws RefusedChangeError("conflict", "... unmanaged object
 *   with this name ...") — nothing touched, in dry-run and apply alike;
 * - not owned, `adopt` true → `{ adopting: true }`; when applying, the record is written
 *   first (adopted, with the replaced definition and the policy's revision), so a crash
 *   after it leaves the object owned and its old definition known.
 * Without a scope (no agent state: `apply --local`), only a domain's marker is checked.
 */
export async function claimExisting(
  scope: OwnershipScope | undefined,
  o: ExistingObject,
  apply: boolean,
): Promise<{ adopting: boolean }> {
  const rec = scope?.ledger.get(o.kind, o.name);
  let owned: boolean;
  if (o.marked !== undefined) owned = o.marked;
  else if (!scope) owned = true;
  else owned = rec !== undefined && (rec.identity === null || rec.identity === o.identity);
  if (owned) {
    if (apply && scope && rec && rec.identity === null) scope.ledger.put({ ...rec, identity: o.identity });
    return { adopting: false };
  }
  if (!o.adopt) {
    const why =
      rec !== undefined
        ? `virtfleet recorded a different ${o.kind === "volume" ? "path" : "UUID"} for it (${rec.identity}; found ${o.identity}): it was replaced outside virtfleet`
        : "virtfleet did not create it";
    throw new RefusedChangeError(
      "conflict",
      `${o.kind} ${o.name}: unmanaged object with this name (${why}); left alone. To manage it, set adopt: true on it in policy ${o.policy}, or give the policy's ${o.kind} another name`,
    );
  }
  if (apply && scope) {
    scope.ledger.put({
      kind: o.kind,
      name: o.name,
      identity: o.identity,
      policy: o.policy,
      revision: scope.revisionOf(o.policy),
      adopted: true,
      replacedXml: o.definition ? await o.definition() : null,
      recordedAt: Date.now(),
    });
  }
  return { adopting: true };
}

/**
 * Records, before the resource creates it, that virtfleet is creating `o` (identity unknown:
 * null, pinned the first time the object is seen). A kill -9 between libvirt's create and
 * recordCreated then leaves the object owned, not a `conflict` forever; a kill before the
 * create leaves a record of an absent object, which the next run creates. Only for kinds
 * without a marker of their own (a domain's marker is defined with it).
 */
export function recordCreating(
  scope: OwnershipScope | undefined,
  o: { kind: Exclude<OwnedKind, "domain">; name: string; policy: string },
): void {
  if (!scope || scope.ledger.get(o.kind, o.name)) return;
  scope.ledger.put({
    ...o,
    identity: null,
    revision: scope.revisionOf(o.policy),
    adopted: false,
    replacedXml: null,
    recordedAt: Date.now(),
  });
}

/** Records an object the resource just created (call it right after libvirt returned it). */
export function recordCreated(
  scope: OwnershipScope | undefined,
  o: { kind: OwnedKind; name: string; identity: string; policy: string },
): void {
  if (!scope) return;
  scope.ledger.put({
    ...o,
    revision: scope.revisionOf(o.policy),
    adopted: false,
    replacedXml: null,
    recordedAt: Date.now(),
  });
}

/** Drops the record of an object the resource just removed. */
export function forgetRemoved(scope: OwnershipScope | undefined, kind: OwnedKind, name: string): void {
  scope?.ledger.forget(kind, name);
}

/** Updates the identity of an owned object virtfleet recreated (a new UUID). */
export function reidentify(scope: OwnershipScope | undefined, kind: OwnedKind, name: string, identity: string): void {
  const rec = scope?.ledger.get(kind, name);
  if (scope && rec) scope.ledger.put({ ...rec, identity });
}
