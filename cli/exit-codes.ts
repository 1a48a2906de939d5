import { CommanderError } from "commander";
import { OptionError, ValidationError } from "../common/errors.js";

/** The CLI's exit codes (spec/cli.md). */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  DRIFT: 3,
  /** A refused action (spec/cli.md): a change blocked because it would destroy or strand data, an ownership conflict, a role, a connected host without --force. */
  REFUSED: 4,
} as const;

/** Maps an error to its exit code: bad usage/input → 2, anything else → 1. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof OptionError || err instanceof ValidationError) return ExitCode.USAGE;
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  return ExitCode.FAILURE;
}
