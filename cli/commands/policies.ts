import type { Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { OptionError } from "../../common/errors.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { AdminClient } from "../admin-client.js";
import {
  controllerAddresses,
  hostPortListArg,
  CONTROLLER_FLAGS,
  CONTROLLER_HELP,
  insecureFlag,
} from "../option-parsers.js";
import { policiesToJson, renderPolicies } from "../output/policies-view.js";

interface PoliciesFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
  history: number;
}

function historyArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new OptionError("--history", `expected a whole number of revisions, got "${value}"`);
  return n;
}

/** `virtfleet policies`: the controller's policies in force, their revisions, and a rejected change's errors. */
export function registerPoliciesCommand(program: Command): void {
  program
    .command("policies")
    .description(
      "policies in force on the controller: revision, generation, mode, targeted hosts; errors of a rejected change",
    )
    .option(CONTROLLER_FLAGS, CONTROLLER_HELP, hostPortListArg)
    .option("--insecure", "plaintext gRPC (env VIRTFLEET_INSECURE=1; local demos only)")
    .option("--json", "print one JSON document on stdout")
    .option("--history <n>", "also show up to N earlier revisions per policy", historyArg, 0)
    .action(async (flags: PoliciesFlags) => {
      const client = new AdminClient(
        controllerAddresses(flags.controller, DEFAULT_LISTEN),
        insecureFlag(flags.insecure),
      );
      try {
        const view = policiesToJson(await client.listPolicies(flags.history));
        process.stdout.write(flags.json ? JSON.stringify(view, null, 2) + "\n" : renderPolicies(view));
      } finally {
        client.close();
      }
    });
}
