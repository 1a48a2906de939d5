import type { Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { isNotFound, ValidationError } from "../../common/errors.js";
import { AdminClient, FailedPreconditionError } from "../admin-client.js";
import { ExitCode } from "../exit-codes.js";
import {
  controllerAddresses,
  hostPortListArg,
  CONTROLLER_FLAGS,
  CONTROLLER_HELP,
  insecureFlag,
} from "../option-parsers.js";
import { hostStatusToJson, renderHostStatus } from "../output/host-status-view.js";
import { hostToJson, renderHostDetail, renderHostsTable } from "../output/hosts-view.js";

interface AdminFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
}

/** Adds the options every admin command shares. */
export function adminOptions(cmd: Command): Command {
  return cmd
    .option(CONTROLLER_FLAGS, CONTROLLER_HELP, hostPortListArg)
    .option("--insecure", "plaintext gRPC (env VIRTFLEET_INSECURE=1; local demos only)")
    .option("--json", "print one JSON document on stdout");
}

async function withAdmin<T>(flags: AdminFlags, run: (c: AdminClient) => Promise<T>): Promise<T> {
  const client = new AdminClient(controllerAddresses(flags.controller, DEFAULT_LISTEN), insecureFlag(flags.insecure));
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

/** `hosts --help`: the selector syntax (policy-language/selector.ts). */
const SELECTOR_HELP = `
Selector terms (comma-separated, all must hold; groups and labels as the controller's inventory resolves them):
  LABEL=VALUE, LABEL!=VALUE      label (labels.KEY for a label named group or name)
  facts.PATH=VALUE, facts.PATH!=VALUE
                                 dotted path into the host's reported facts
  group=G, group!=G              inventory group (nested children count; all, ungrouped)
  name=HOST, name!=HOST          exact host name
  name~=PATTERN                  host pattern, e.g. kvm[01:04].lab
Values are JSON scalars when they parse (true, 2, "a,b") else text; != also matches
hosts without the label or fact. A bad term or unknown group exits 2.

Examples:
  virtfleet hosts --group web
  virtfleet hosts --selector 'rack=r1,facts.cpu.virtualization=true'
  virtfleet hosts --selector 'facts.numa.nodes=2,name~=kvm[01:04].lab' --json
`;

export function registerHostsCommands(program: Command): void {
  adminOptions(
    program
      .command("hosts")
      .description("list enrolled hosts: connection, last seen, facts, compliance, inventory groups"),
  )
    .option("--group <group>", "only hosts in this inventory group (nested children count; `all`, `ungrouped`)")
    .option("--selector <terms>", "only hosts matching every comma-separated term (see below)")
    .addHelpText("after", SELECTOR_HELP)
    .action(async (flags: AdminFlags & { group?: string; selector?: string }) => {
      const query = { group: flags.group, selector: flags.selector };
      const hosts = (await withAdmin(flags, (c) => c.listHosts(query))).map(hostToJson);
      const filtered = Boolean(flags.group || flags.selector);
      process.stdout.write(
        flags.json ? JSON.stringify(hosts, null, 2) + "\n" : renderHostsTable(hosts, Date.now(), filtered),
      );
    });
  const host = adminOptions(
    program
      .command("host")
      .description(
        "show one host: facts, connection, policies and last outcomes, fact-change history; `host remove NAME`",
      )
      .argument("<name>", "host name"),
  )
    .option("--history <n>", "fact changes to show", (v) => Number.parseInt(v, 10), 20)
    .action(async (name: string, flags: AdminFlags & { history: number }) => {
      const res = await withAdmin(flags, (c) => c.getHost(name, flags.history));
      const host = hostToJson(res.host!);
      const status = hostStatusToJson(res);
      if (flags.json)
        process.stdout.write(JSON.stringify({ ...host, ...status, factHistory: res.factHistory }, null, 2) + "\n");
      else process.stdout.write(renderHostDetail(host, res.factHistory) + renderHostStatus(status));
    });
  registerHostRemove(host);
}

const REMOVE_HELP = `
Revokes the host's certificates (it cannot reconnect without enrolling again), closes its
stream, takes it out of every active rollout (a stage waiting for it may go on), and forgets it:
no longer a target, in compliance or in \`hosts\` (its reports and drift history go with it).
Unknown host: exit 2. A connected host is refused (exit 4) unless --force. With a controller
run --insecure there is nothing to revoke: stop the agent first, or it comes back as a new host.
Also takes --controller, --insecure, --data and --json (see \`virtfleet host --help\`).
`;

/** `virtfleet host remove NAME [--force]` (spec/cli.md). */
function registerHostRemove(host: Command): void {
  // --controller, --insecure, --json and --data are `host`'s (commander gives them to the parent
  // wherever they are written): read through optsWithGlobals().
  host
    .command("remove")
    .description("remove a host from the fleet: revoke, drop from targets, compliance and rollouts")
    .argument("<name>", "host name")
    .option("--force", "remove it even while its agent is connected (its stream is closed)")
    .option("--reason <text>", "why (logged and audited)")
    .addHelpText("after", REMOVE_HELP)
    .action(async (name: string, own: AdminFlags & { force?: boolean; reason?: string }, cmd: Command) => {
      const flags = { ...(cmd.optsWithGlobals() as typeof own), ...own };
      try {
        const r = await withAdmin(flags, (c) => c.removeHost(name, flags.force === true, flags.reason ?? ""));
        if (flags.json) process.stdout.write(JSON.stringify({ host: name, removed: true, ...r }) + "\n");
        else
          process.stdout.write(
            `removed host ${name}: ${r.revoked} certificate${r.revoked === 1 ? "" : "s"} revoked${r.disconnected ? ", its stream closed" : ""}${r.rollouts.length > 0 ? `, taken out of rollout${r.rollouts.length === 1 ? "" : "s"} ${r.rollouts.join(", ")}` : ""}\n`,
          );
      } catch (err) {
        if (isNotFound(err)) throw new ValidationError((err as Error).message);
        if (err instanceof FailedPreconditionError) {
          process.stderr.write(`virtfleet: refused: ${err.message}\n`);
          process.exitCode = ExitCode.REFUSED;
          return;
        }
        throw err;
      }
    });
}
