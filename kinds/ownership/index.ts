/**
 * Ownership: virtfleet manages only what it created or was told to adopt
 * (docs/design/ownership.md). Each kind's resource.ts calls `claimExisting` before touching an
 * existing object, `recordCreating` before creating one (networks, pools, volumes), `recordCreated` after creating one and `forgetRemoved` after removing one.
 */
export {
  ownershipScope,
  type OwnedKind,
  type OwnershipLedger,
  type OwnershipRecord,
  type OwnershipScope,
} from "./ledger.js";
export {
  ADOPT_CHANGE,
  claimExisting,
  forgetRemoved,
  recordCreated,
  recordCreating,
  reidentify,
  type ExistingObject,
} from "./claim.js";
export { rollbackResources } from "./reclaim.js";
