import { execFile } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { SystemdError } from "./errors.js";

const run = promisify(execFile);
const SYSTEMCTL_TIMEOUT_MS = 90_000;

/**
 * Why systemd cannot manage a service on this host, or undefined when it can: systemctl must
 * be on PATH and systemd must be the running init (/run/systemd/system exists: sd_booted(3)).
 */
export function systemdUnavailable(): string | undefined {
  const found = (process.env.PATH ?? "").split(delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(join(dir, "systemctl"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) return "systemctl is not installed (not found on PATH)";
  if (!existsSync("/run/systemd/system")) return "this host is not running systemd (no /run/systemd/system)";
  return undefined;
}

/** Runs `systemctl ARGS…`; a failure is a SystemdError quoting systemctl's own message. */
export async function systemctl(args: string[]): Promise<void> {
  try {
    await run("systemctl", args, { timeout: SYSTEMCTL_TIMEOUT_MS });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new SystemdError(`systemctl ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}
