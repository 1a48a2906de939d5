import { InvalidArgumentError, type Command } from "commander";
import { parseDuration } from "../../common/units.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { AdminClient } from "../admin-client.js";
import { parseTimeOrAgo } from "../time-option.js";
import { ExitCode } from "../exit-codes.js";
import { controllerAddresses, insecureFlag } from "../option-parsers.js";
import { auditToJson, renderAuditTable, renderVerify, verifyToJson } from "../output/audit-view.js";
import { adminCommand, type AdminFlags } from "./rollout.js";

/** Records `virtfleet audit` shows without --limit. */
export const DEFAULT_AUDIT_LIMIT = 100;
/** The most the controller returns in one answer. */
export const MAX_AUDIT_LIMIT = 10_000;

/** --limit: a whole number from 1 to MAX_AUDIT_LIMIT. */
export function auditLimitArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > MAX_AUDIT_LIMIT) {
    throw new InvalidArgumentError(
      `--limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** --since: ISO 8601, or a duration ago (30m, 24h, 7d). */
function sinceArg(value: string): number {
  return parseTimeOrAgo(value, parseDuration);
}

/** Runs `run` with an admin client for the flags' controller and credential. */
export async function withAdminClient<T>(flags: AdminFlags, run: (c: AdminClient) => Promise<T>): Promise<T> {
  const client = new AdminClient(controllerAddresses(flags.controller, DEFAULT_LISTEN), insecureFlag(flags.insecure));
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

const AUDIT_HELP = `
Every operator/admin call (rollout pause/resume/abort/rollback, flap acknowledgements, tokens,
revocations, new admins) is recorded with who made it, including refused and failed attempts,
as are new policy revisions and enrolments. Records are hash-chained: --verify recomputes the
chain on the controller and names the first record that was changed, removed or reordered.

Examples:
  virtfleet audit --since 24h
  virtfleet audit --limit 20 --json
  virtfleet audit --verify
`;

/** `virtfleet audit [--limit N] [--since DUR|ISO] [--json] [--verify]`. */
export function registerAuditCommand(program: Command): void {
  adminCommand(
    program
      .command("audit")
      .description(
        "the controller's audit log: who did what, when (--verify: check its hash chain; exit 1 when broken)",
      ),
  )
    .option("--limit <n>", `at most the newest N records (1..${MAX_AUDIT_LIMIT})`, auditLimitArg, DEFAULT_AUDIT_LIMIT)
    .option("--since <duration|time>", "only records since then (e.g. 90m, 24h, 7d, or 2026-01-31T12:00:00Z)", sinceArg)
    .option(
      "--verify",
      "verify the whole chain instead of listing: 'audit log intact: N records' (exit 0), or the first bad record (exit 1)",
    )
    .addHelpText("after", AUDIT_HELP)
    .action(async (flags: AdminFlags & { limit: number; since?: number; verify?: boolean }) => {
      if (flags.verify) {
        const v = verifyToJson(await withAdminClient(flags, (c) => c.verifyAudit()));
        process.stdout.write(flags.json ? JSON.stringify(v, null, 2) + "\n" : renderVerify(v));
        if (!v.ok) process.exitCode = ExitCode.FAILURE;
        return;
      }
      const since = flags.since === undefined ? "" : new Date(flags.since).toISOString();
      const records = (await withAdminClient(flags, (c) => c.listAudit(flags.limit, since))).map(auditToJson);
      process.stdout.write(flags.json ? JSON.stringify(records, null, 2) + "\n" : renderAuditTable(records));
    });
}
