import { InvalidArgumentError, type Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { OptionError } from "../../common/errors.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { AdminClient } from "../admin-client.js";
import { controllerAddresses, durationArg, insecureFlag } from "../option-parsers.js";
import { adminOptions } from "./hosts.js";

interface TokenFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
  ttl: number;
  host?: string;
  pattern?: string;
  uses: number;
}

function usesArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}

function ttlArg(value: string): number {
  const ms = durationArg(value);
  if (ms < 1_000) throw new InvalidArgumentError(`"${value}" is shorter than 1s`);
  return ms;
}

/**
 * `virtfleet token create`: a one-time enrolment token from the controller. stdout: the token
 * alone (or `{"token", "expiresAt"}` with --json), so `T=$(virtfleet token create)` works; how to
 * use it goes to stderr.
 */
export function registerTokenCommands(program: Command): void {
  const token = program
    .command("token")
    .description("enrolment tokens: what a new agent needs (with the controller address) to get its certificate");
  adminOptions(token.command("create").description("create a one-time enrolment token (only its hash is stored)"))
    .option("--ttl <duration>", "how long it can be used (e.g. 10m, 1h, 24h)", ttlArg, 3_600_000)
    .option("--host <name>", "only this host may enrol with it")
    .option("--pattern <pattern>", "only hosts matching this inventory pattern (e.g. kvm[01:20].lab) may enrol with it")
    .option("--uses <n>", "how many hosts may enrol with it", usesArg, 1)
    .action(async (flags: TokenFlags) => {
      if (flags.host && flags.pattern) throw new OptionError("--host", "--host and --pattern exclude each other");
      const addresses = controllerAddresses(flags.controller, DEFAULT_LISTEN);
      const client = new AdminClient(addresses, insecureFlag(flags.insecure));
      try {
        const t = await client.createToken({
          ttlMs: flags.ttl,
          host: flags.host ?? "",
          pattern: flags.pattern ?? "",
          uses: flags.uses,
        });
        process.stdout.write(
          flags.json ? JSON.stringify({ token: t.token, expiresAt: t.expiresAt }) + "\n" : `${t.token}\n`,
        );
        if (!flags.json) {
          const uses = flags.uses === 1 ? "one enrolment" : `${flags.uses} enrolments`;
          process.stderr.write(
            `valid for ${uses} until ${t.expiresAt}; on the host, put it in a file only root can read (e.g. '(umask 077; virtfleet token create > token)') and run:\n  virtfleet agent --controller <controller address> --token-file token\n`,
          );
        }
      } finally {
        client.close();
      }
    });
}
