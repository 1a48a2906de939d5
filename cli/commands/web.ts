import { InvalidArgumentError, type Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { AdminClient } from "../admin-client.js";
import { controllerAddresses, insecureFlag } from "../option-parsers.js";
import { adminOptions } from "./hosts.js";

interface WebLoginFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
  role?: string;
}

const ROLES = ["viewer", "operator", "admin"];

function roleArg(value: string): string {
  if (!ROLES.includes(value)) throw new InvalidArgumentError(`"${value}" is not a role (${ROLES.join(", ")})`);
  return value;
}

/**
 * `virtfleet web login [--role R]`: a one-time dashboard sign-in URL. stdout: the URL alone (or
 * `{"url", "expiresAt", "role"}` with --json), so `xdg-open "$(virtfleet web login)"` works; how
 * long it is valid goes to stderr. The URL is a credential for 60 s: it is printed, never logged.
 */
export function registerWebCommands(program: Command): void {
  const web = program.command("web").description("the controller's web dashboard (docs/dashboard.md)");
  adminOptions(
    web
      .command("login")
      .description(
        "print a one-time sign-in URL for the dashboard (valid 60 s, works once; opens a session of up to 12 h)",
      ),
  )
    .option(
      "--role <role>",
      "the session's role: viewer, operator or admin (default: your credential's; never above it)",
      roleArg,
    )
    .action(async (flags: WebLoginFlags) => {
      const client = new AdminClient(
        controllerAddresses(flags.controller, DEFAULT_LISTEN),
        insecureFlag(flags.insecure),
      );
      try {
        const r = await client.createWebSignIn(flags.role ?? "");
        process.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : `${r.url}\n`);
        if (!flags.json)
          process.stderr.write(`open it within 60 s (until ${r.expiresAt}); it signs in once, with role ${r.role}\n`);
      } finally {
        client.close();
      }
    });
}
