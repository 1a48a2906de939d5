import { CommanderError } from "commander";
import { NotFoundError, OptionError, ValidationError } from "../common/errors.js";

/** The CLI's exit codes (spec/cli.md). */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  /** Bad usage or invalid input, and unknown names (host, guest, policy): the message names it. */
  USAGE: 2,
  DRIFT: 3,
  /** A refused action (spec/cli.md): a change blocked because it would destroy or strand data, an ownership conflict, the caller's role, the state of what it acts on (a connected host without --force). */
  REFUSED: 4,
} as const;

/**
 * Error codes (VirtfleetError.code) of a refused action: PERMISSION_DENIED (role) and
 * FAILED_PRECONDITION (not allowed in the current state), as cli/admin-client.ts maps them.
 * By code, not class: this module loads for every command, the gRPC client only for some.
 */
const REFUSED_CODES = new Set(["PERMISSION_DENIED", "FAILED_PRECONDITION", "REFUSED"]);

/** Maps an error to its exit code: bad usage/input or an unknown name → 2, a refused action → 4, anything else → 1. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof OptionError || err instanceof ValidationError || err instanceof NotFoundError)
    return ExitCode.USAGE;
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && REFUSED_CODES.has(code)) return ExitCode.REFUSED;
  return ExitCode.FAILURE;
}
