import { VirtfleetError } from "../../../common/errors.js";

/** An existing file differs from what the install writes, and --force was not given (exit 4). */
export class InstallRefusedError extends VirtfleetError {
  constructor(message: string) {
    super("REFUSED", message);
  }
}

/** systemd cannot start the agent here: systemctl missing, systemd not running, or systemctl failed (exit 1). */
export class SystemdError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SYSTEMD", message, options);
  }
}
