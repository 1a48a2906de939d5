import { ValidationError } from "../../common/index.js";
import { PkiError } from "../../common/pki/index.js";

/** A request to issue or revoke names something unacceptable (bad name, role, CSR): INVALID_ARGUMENT. */
export class IssueRequestError extends ValidationError {}

/**
 * The shared CA cannot be used with this replica's settings: the store's CA was sealed with
 * another key, or this replica was given another CA than the one its replicas share. Refused
 * at start; the message names files and fingerprints, never a key.
 */
export class StoreKeyError extends PkiError {}
