import type { Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { ValidationError, isNotFound } from "../../common/errors.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { AdminClient } from "../admin-client.js";
import { controllerAddresses, insecureFlag } from "../option-parsers.js";
import { adminOptions } from "./hosts.js";

interface CertFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
  reason?: string;
}

/**
 * `virtfleet cert revoke HOST`: the host is disconnected at once and refused until it enrols
 * again with a new token. `cert revoke --admin NAME`: the admin's certificates, refused from its next call.
 */
export function registerCertCommands(program: Command): void {
  const cert = program.command("cert").description("host and admin certificates");
  adminOptions(
    cert
      .command("revoke")
      .description(
        "revoke a host's certificates (its stream ends now, it is refused until it enrols again with a new token), or an admin's with --admin NAME",
      )
      .argument("[host]", "host name (or --admin NAME)"),
  )
    .option("--admin <name>", "revoke an admin's certificates instead: its next call is refused")
    .option("--reason <text>", "why (logged)")
    .action(async (host: string | undefined, flags: CertFlags & { admin?: string }) => {
      if ((host === undefined) === (flags.admin === undefined))
        throw new ValidationError("name a host, or an admin with --admin NAME (not both)");
      const client = new AdminClient(
        controllerAddresses(flags.controller, DEFAULT_LISTEN),
        insecureFlag(flags.insecure),
      );
      try {
        if (flags.admin !== undefined) {
          const r = await client.revokeCertificate({ admin: flags.admin }, flags.reason ?? "");
          process.stdout.write(
            flags.json
              ? JSON.stringify({ admin: flags.admin, revoked: r.revoked }) + "\n"
              : `revoked ${r.revoked} certificate${r.revoked === 1 ? "" : "s"} of admin ${flags.admin}; its next call is refused\n`,
          );
          return;
        }
        const r = await client.revokeCertificate(host!, flags.reason ?? "");
        if (flags.json)
          process.stdout.write(JSON.stringify({ host, revoked: r.revoked, disconnected: r.disconnected }) + "\n");
        else
          process.stdout.write(
            `revoked ${r.revoked} certificate${r.revoked === 1 ? "" : "s"} of ${host}${r.disconnected ? "; its stream was closed" : " (it was not connected)"}\n`,
          );
      } catch (err) {
        if (isNotFound(err)) throw new ValidationError(`${(err as Error).message}; see 'virtfleet hosts'`);
        throw err;
      } finally {
        client.close();
      }
    });
}
