import { ValidationError, VirtfleetError } from "../errors.js";

/** A certificate, key or CSR is unusable (unreadable, wrong kind, not ours, expired); the message says which and what to do. */
export class PkiError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PKI", message, options);
  }
}

/** An enrolment token that is not one (typo, truncated, another tool's): a usage error. */
export class TokenFormatError extends ValidationError {}
