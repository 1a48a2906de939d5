import { ValidationError } from "../../common/index.js";

/** A request to issue or revoke names something unacceptable (bad name, role, CSR): INVALID_ARGUMENT. */
export class IssueRequestError extends ValidationError {}
