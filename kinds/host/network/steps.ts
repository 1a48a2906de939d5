import type { IpCommand } from "./ip.js";
import { IpCommandError } from "./ip.js";
import type { Step } from "./planner.js";
import { VirtfleetError } from "../../../common/errors.js";

/** The kernel lacks the driver an `ip link add … type X` needs (bonding, 8021q). */
export class MissingDriverError extends VirtfleetError {
  constructor(argv: readonly string[], cause: IpCommandError) {
    const type = argv[argv.indexOf("type") + 1] ?? "?";
    const module = type === "bond" ? "bonding" : type === "vlan" ? "8021q" : type;
    super(
      "HOST_NETWORK_DRIVER",
      `ip ${argv.join(" ")} failed: this kernel has no ${type} support (module ${module} not available: modprobe ${module}, or add ${module} to host.kernelModules)`,
      { cause },
    );
  }
}

/**
 * Runs `steps` in order through `ip`. On a failure it throws (a MissingDriverError when
 * the kernel lacks the interface type) and the steps that ran are in `done` (in order), so
 * the caller can undo them.
 */
export async function runSteps(ip: IpCommand, steps: readonly Step[], done: Step[] = []): Promise<Step[]> {
  for (const s of steps) {
    try {
      await ip.run(s.argv);
    } catch (err) {
      if (err instanceof IpCommandError && s.argv[1] === "add" && /unknown device type|not supported/i.test(err.stderr))
        throw new MissingDriverError(s.argv, err);
      throw err;
    }
    done.push(s);
  }
  return done;
}

/**
 * Undoes `done` (last step first, each step's undo in order). Keeps going past a failing
 * undo and returns the failures' messages (empty: everything was put back).
 */
export async function undoSteps(ip: IpCommand, done: readonly Step[]): Promise<string[]> {
  const failures: string[] = [];
  for (const s of [...done].reverse()) {
    for (const argv of s.undo) {
      try {
        await ip.run(argv);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  }
  return failures;
}
