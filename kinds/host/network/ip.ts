import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { VirtfleetError } from "../../../common/errors.js";

const run = promisify(execFile);

/** iproute2 failed: the argv (names only, never secrets) and its stderr. */
export class IpCommandError extends VirtfleetError {
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    cause?: unknown,
  ) {
    super("HOST_NETWORK_IP", `ip ${argv.join(" ")} failed: ${stderr.trim() || "no message"}`, { cause });
  }
}

/**
 * Runs iproute2 with an argv array (never a shell). `run(["-json", "link", "show"])` resolves
 * with stdout; a non-zero exit rejects with IpCommandError. One seam, so a test can run every
 * command inside a network namespace it created (`ip -n NS …`) or record the argv.
 */
export interface IpCommand {
  run(argv: readonly string[]): Promise<string>;
}

/** The real `ip`, optionally inside the named network namespace (`ip -n NETNS …`). */
export function realIp(netns?: string): IpCommand {
  const prefix = netns ? ["-n", netns] : [];
  return {
    async run(argv) {
      try {
        const { stdout } = await run("ip", [...prefix, ...argv], { timeout: 30_000, maxBuffer: 32 << 20 });
        return stdout;
      } catch (err) {
        throw new IpCommandError(argv, (err as { stderr?: string }).stderr ?? (err as Error).message, err);
      }
    },
  };
}
