import type { Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { isNotFound, ValidationError, VirtfleetError } from "../../common/errors.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { AdminClient } from "../admin-client.js";
import { controllerAddresses, insecureFlag } from "../option-parsers.js";
import { adminOptions } from "./hosts.js";

interface ResyncFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
  all?: boolean;
  selector?: string;
}

/**
 * `virtfleet resync (HOST… | --all | --selector S)`: each targeted, connected host re-checks its
 * whole bundle now (as at its periodic re-check) and reports. Exit 0 when every target was
 * reached; 1 when some are not connected (named; nothing sent to them); 2 for an unknown
 * host (named; nothing sent to any host), a bad selector, or not exactly one kind of target.
 * `--json`: `{"sent": [host…], "notConnected": [host…]}`.
 */
export function registerResyncCommand(program: Command): void {
  adminOptions(
    program
      .command("resync")
      .description("make hosts re-check everything now (HOST…, --all, or --selector S)")
      .argument("[hosts...]", "host names"),
  )
    .option("--all", "every enrolled host")
    .option("--selector <terms>", "hosts matching every comma-separated term (as `virtfleet hosts --selector`)")
    .action(async (hosts: string[], flags: ResyncFlags) => {
      const kinds = [hosts.length > 0, flags.all === true, flags.selector !== undefined].filter(Boolean).length;
      if (kinds !== 1) throw new ValidationError("resync: give host names, or --all, or --selector S (one of them)");
      const client = new AdminClient(
        controllerAddresses(flags.controller, DEFAULT_LISTEN),
        insecureFlag(flags.insecure),
      );
      let res: { sent: string[]; notConnected: string[] };
      try {
        res = await client.resync({ hosts, all: flags.all, selector: flags.selector });
      } catch (err) {
        // The controller names the unknown host: an unknown name is a usage error (exit 2).
        if (isNotFound(err)) throw new ValidationError(`resync: ${(err as Error).message}`, { cause: err });
        throw err;
      } finally {
        client.close();
      }
      if (flags.json) process.stdout.write(`${JSON.stringify({ sent: res.sent, notConnected: res.notConnected })}\n`);
      else {
        if (res.sent.length > 0) process.stdout.write(`resync sent to ${res.sent.join(", ")}\n`);
        else if (res.notConnected.length === 0) process.stdout.write("no host matched; nothing sent\n");
      }
      if (res.notConnected.length > 0) {
        const err = new VirtfleetError(
          "NOT_DELIVERED",
          `not connected, nothing sent: ${res.notConnected.join(", ")}; retry when they are connected (virtfleet hosts)`,
        );
        if (!flags.json) throw err;
        process.stderr.write(`virtfleet: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
