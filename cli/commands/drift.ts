import type { Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { backoffDelay } from "../../common/backoff.js";
import { VirtfleetError } from "../../common/errors.js";
import { parseDuration } from "../../common/units.js";
import type { ComplianceReport } from "../../controller/compliance/index.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { parseTimeOrAgo } from "../time-option.js";
import { DriftClient } from "../drift-client.js";
import { ExitCode } from "../exit-codes.js";
import {
  controllerAddresses,
  hostPortListArg,
  CONTROLLER_FLAGS,
  CONTROLLER_HELP,
  insecureFlag,
} from "../option-parsers.js";
import { allCompliant, renderCompliance } from "../output/compliance-view.js";
import { driftToJson, renderDriftLine, renderDriftTable } from "../output/drift-view.js";

interface AdminFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
}

/** Watch reconnects after the controller goes away, backing off up to this. */
const WATCH_BACKOFF = { initialMs: 500, maxMs: 10_000, multiplier: 2 };

function admin(cmd: Command, json = true): Command {
  cmd
    .option(CONTROLLER_FLAGS, CONTROLLER_HELP, hostPortListArg)
    .option("--insecure", "plaintext gRPC (env VIRTFLEET_INSECURE=1; local demos only)");
  return json ? cmd.option("--json", "print JSON on stdout") : cmd;
}

async function withClient<T>(flags: AdminFlags, run: (c: DriftClient) => Promise<T>): Promise<T> {
  const client = new DriftClient(controllerAddresses(flags.controller, DEFAULT_LISTEN), insecureFlag(flags.insecure));
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

function timeArg(value: string): number {
  return parseTimeOrAgo(value, parseDuration);
}

/** `virtfleet drift`, `drift watch`, `drift ack`. */
export function registerDriftCommands(program: Command): void {
  // The parent has no options of its own: a parent option would swallow its subcommands'.
  const drift = program
    .command("drift")
    .description("drift events: history (default), live (drift watch), flap acknowledgement (drift ack)");
  admin(
    drift
      .command("list", { isDefault: true })
      .description("drift events, oldest first (virtfleet drift [--host H] [--since DUR])"),
  )
    .option("--host <name>", "only this host's events")
    .option(
      "--since <duration|time>",
      "only events detected since then (e.g. 90m, 24h, or 2025-01-31T12:00:00Z)",
      timeArg,
    )
    .option("--limit <n>", "at most the newest N events", (v) => Number.parseInt(v, 10), 1_000)
    .action(async (flags: AdminFlags & { host?: string; since?: number; limit: number }) => {
      const since = flags.since === undefined ? "" : new Date(flags.since).toISOString();
      const events = (await withClient(flags, (c) => c.listDrift(flags.host ?? "", since, flags.limit))).map(
        driftToJson,
      );
      process.stdout.write(flags.json ? JSON.stringify(events, null, 2) + "\n" : renderDriftTable(events));
    });

  admin(drift.command("watch").description("stream drift events live as the controller stores them (Ctrl-C to stop)"))
    .option("--host <name>", "only this host's events")
    .action(async (flags: AdminFlags & { host?: string }) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        await withClient(flags, (c) => watchLoop(c, flags, stop.signal));
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });

  admin(
    drift.command("ack").description("lift a host's flap guard now (all suppressed resources, or one KIND/NAME)"),
    false,
  )
    .argument("<host>", "host name")
    .argument("[resource]", "KIND/NAME, e.g. domain/web1 (default: every suppressed resource)")
    .action(async (host: string, resource: string | undefined, flags: AdminFlags) => {
      const delivered = await withClient(flags, (c) => c.acknowledgeFlap(host, resource ?? ""));
      if (!delivered) {
        throw new VirtfleetError(
          "NOT_DELIVERED",
          `host ${host} is not connected: the acknowledgement was not delivered; retry when it is connected (virtfleet hosts)`,
        );
      }
      process.stdout.write(
        `flap acknowledgement delivered to ${host}${resource ? ` for ${resource}` : " for every suppressed resource"}\n`,
      );
    });
}

/**
 * Watches until Ctrl-C: a stream that breaks (or a controller that cannot be reached) is
 * reopened on the next controller of --controller a,b,… (the same one when there is one), after
 * the jittered backoff; events stored while no stream was open are not replayed.
 */
async function watchLoop(c: DriftClient, flags: AdminFlags & { host?: string }, signal: AbortSignal): Promise<void> {
  let failures = 0;
  let index = 0;
  while (!signal.aborted) {
    const target = c.targets[index]!;
    const end = await c.watch(
      index,
      flags.host ?? "",
      signal,
      (d) => {
        const j = driftToJson(d);
        process.stdout.write(flags.json ? JSON.stringify(j) + "\n" : renderDriftLine(j));
      },
      () => {
        failures = 0;
        process.stderr.write(
          `watching drift events at ${target}${flags.host ? ` for ${flags.host}` : ""} (Ctrl-C to stop)\n`,
        );
      },
    );
    if (end.kind === "cancelled") return;
    if (end.kind === "error" && !end.retryable) throw end.error;
    index = (index + 1) % c.targets.length;
    const delay = backoffDelay(failures++, WATCH_BACKOFF);
    process.stderr.write(
      `drift watch interrupted (${end.kind === "error" ? end.error.message : `controller ${target} ended the stream`}); reconnecting${c.targets.length > 1 ? ` to ${c.targets[index]}` : ""} in ${(delay / 1000).toFixed(1)} s\n`,
    );
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}

/** `virtfleet compliance [--at TIME]`: exits 3 when not every host is compliant. */
export function registerComplianceCommand(program: Command): void {
  admin(
    program
      .command("compliance")
      .description("fleet compliance per host and policy; exit 3 when anything is not compliant"),
  )
    .option(
      "--at <time|duration>",
      "the stored snapshot at or before this time (ISO 8601, or e.g. 2h for two hours ago)",
      timeArg,
    )
    .action(async (flags: AdminFlags & { at?: number }) => {
      const at = flags.at === undefined ? "" : new Date(flags.at).toISOString();
      const report: ComplianceReport = await withClient(flags, (c) => c.compliance(at));
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + "\n" : renderCompliance(report));
      if (!allCompliant(report)) process.exitCode = ExitCode.DRIFT;
    });
}
