import * as grpc from "@grpc/grpc-js";
import { NotFoundError, ValidationError, VirtfleetError } from "../common/errors.js";
import { NotAuthenticatedError, transportHint } from "./admin-credentials.js";

/** The controller refused an operation in the current state (FAILED_PRECONDITION); the message is the controller's. */
export class FailedPreconditionError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("FAILED_PRECONDITION", message, options);
  }
}

/** The controller refused the call for the caller's role or credential (PERMISSION_DENIED); the message names the role needed. */
export class PermissionDeniedError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PERMISSION_DENIED", message, options);
  }
}

export class ControllerUnreachableError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONTROLLER_UNREACHABLE", message, options);
  }
}

/**
 * grpc-js's status details without its empty trailers: a failed connection's details end in
 * "Resolution note: " with nothing after it when name resolution had nothing to say.
 */
export function statusDetails(err: grpc.ServiceError): string {
  return (err.details || err.message).replace(/\s*Resolution note:\s*$/, "").trim();
}

/**
 * The one mapping of a failed admin call (`what`: "listing hosts") to the CLI's typed errors,
 * for every admin client: NOT_FOUND → NotFoundError (exit 2), INVALID_ARGUMENT →
 * ValidationError (2), PERMISSION_DENIED / FAILED_PRECONDITION → refused (4), UNAUTHENTICATED,
 * UNAVAILABLE / DEADLINE_EXCEEDED → ControllerUnreachableError naming the address and what to
 * do. The status details are the whole message: the gRPC error is not kept as the cause (it
 * would only repeat them, with grpc-js's own prefixes).
 */
export function adminCallError(what: string, err: grpc.ServiceError, target: string, insecure: boolean): Error {
  const details = statusDetails(err);
  switch (err.code) {
    case grpc.status.NOT_FOUND:
      return new NotFoundError(details);
    case grpc.status.FAILED_PRECONDITION:
      return new FailedPreconditionError(details);
    case grpc.status.INVALID_ARGUMENT:
      return new ValidationError(`${what}: ${details}`);
    case grpc.status.PERMISSION_DENIED:
      return new PermissionDeniedError(`${what}: permission denied: ${details}`);
    case grpc.status.UNAUTHENTICATED:
      return new NotAuthenticatedError(`${what}: the controller refused the admin credential: ${details}`);
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new ControllerUnreachableError(
        `${what}: cannot reach the controller at ${target} (${details})${transportHint(details, insecure)}; is 'virtfleet controller' running there? Set --controller or VIRTFLEET_CONTROLLER`,
      );
    default:
      return new VirtfleetError("ADMIN_CALL", `${what} failed: ${details}`);
  }
}

/**
 * Every controller in `--controller a,b,…` failed without answering (UNAVAILABLE or a deadline
 * before the call was sent): one ControllerUnreachableError naming each address and what it
 * said, in the order tried.
 */
export function unreachableEverywhere(
  what: string,
  failures: readonly { target: string; err: grpc.ServiceError }[],
  insecure: boolean,
): ControllerUnreachableError {
  const each = failures.map((f) => `${f.target}: ${statusDetails(f.err)}`);
  const hint = failures.map((f) => transportHint(statusDetails(f.err), insecure)).find((h) => h !== "") ?? "";
  return new ControllerUnreachableError(
    `${what}: cannot reach any of the ${failures.length} controllers ${failures.map((f) => f.target).join(", ")} (${each.join("; ")})${hint}; is 'virtfleet controller' running there? Set --controller or VIRTFLEET_CONTROLLER`,
  );
}
