import { VirtfleetError } from "../../common/errors.js";

/**
 * Enrolment or renewal failed. `permanent`: retrying the same thing cannot succeed (token
 * refused, CA pin mismatch, bad request); otherwise (controller unreachable) it may.
 */
export class EnrolmentError extends VirtfleetError {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super("ENROLMENT", message, options);
  }
}
