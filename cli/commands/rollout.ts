import type { Command } from "commander";
import type { HostPort } from "../../common/address.js";
import { isNotFound, ValidationError } from "../../common/errors.js";
import { PATTERNS } from "../../policy-primitives/names.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import type { RolloutStatusJson } from "../../controller/rollout/index.js";
import { AdminClient, ControllerUnreachableError, type RolloutAction } from "../admin-client.js";
import { ExitCode } from "../exit-codes.js";
import {
  controllerAddresses,
  hostPortListArg,
  CONTROLLER_FLAGS,
  CONTROLLER_HELP,
  insecureFlag,
} from "../option-parsers.js";
import { renderRolloutStatus, rolloutEnded } from "../output/rollout-view.js";

export interface AdminFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
}

/** Adds the options every admin command shares. */
export function adminCommand(cmd: Command): Command {
  return cmd
    .option(CONTROLLER_FLAGS, CONTROLLER_HELP, hostPortListArg)
    .option("--insecure", "plaintext gRPC (env VIRTFLEET_INSECURE=1; local demos only)")
    .option("--json", "print one JSON document on stdout");
}

const POLICY_NAME = new RegExp(PATTERNS.policyName, "u");

/** The POLICY argument: a policy name (spec: lower-case letters, digits and '-', 1 to 63 characters), else exit 2. */
export function policyArg(value: string): string {
  if (!POLICY_NAME.test(value))
    throw new ValidationError(
      `invalid policy name ${JSON.stringify(value)}: lower-case letters, digits and '-', 1 to 63 characters`,
    );
  return value;
}

/**
 * Runs `run` with an admin client for `policy`; the controller's NOT_FOUND (unknown policy)
 * becomes a usage error (exit 2) naming the policy.
 */
export async function withPolicyClient<T>(
  flags: AdminFlags,
  policy: string,
  run: (c: AdminClient) => Promise<T>,
): Promise<T> {
  const client = new AdminClient(controllerAddresses(flags.controller, DEFAULT_LISTEN), insecureFlag(flags.insecure));
  try {
    return await run(client);
  } catch (err) {
    if (isNotFound(err)) throw unknownPolicy(policy);
    throw err;
  } finally {
    client.close();
  }
}

export function unknownPolicy(policy: string): ValidationError {
  return new ValidationError(`unknown policy ${JSON.stringify(policy)}; see \`virtfleet policies\``);
}

const DONE: Record<RolloutAction, string> = {
  pause: "paused",
  resume: "resumed",
  abort: "aborted",
  rollback: "rolled back",
};

/** The one line a control command prints: `rollout of web paused: reason`. */
export function controlLine(
  policy: string,
  action: RolloutAction,
  status: RolloutStatusJson | null,
  reason: string | undefined,
): string {
  let verb = DONE[action];
  if (action === "rollback" && status?.rollingBack) verb = "rolling back";
  const why = action === "resume" ? reason : (status?.reason ?? reason);
  return `rollout of ${policy} ${verb}${why ? `: ${why}` : ""}\n`;
}

const printJson = (doc: unknown) => process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
const noRollout = (policy: string) => `no rollout of ${policy} yet\n`;

/** How often `rollout status --watch` asks the controller. */
export const WATCH_INTERVAL_MS = 1_000;

const ROLLOUT_HELP = `
States: pending, running, paused, succeeded, failed (rolling back while a rollback converges
hosts), rolledback, aborted. pause: pending or running; resume: paused; abort: any rollout that
has not ended; rollback: pending, running, paused or succeeded (or retry a failed rollback).

Examples:
  virtfleet rollout status web --watch
  virtfleet rollout pause web --reason "latency alert on kvm03"
  virtfleet rollout rollback web --json
`;

/** `virtfleet rollout status|pause|resume|abort|rollback POLICY`. */
export function registerRolloutCommands(program: Command): void {
  // The parent has no options of its own: a parent option would swallow its subcommands'.
  const rollout = program
    .command("rollout")
    .description("staged rollout of a policy's revision: status (--watch), pause, resume, abort, rollback")
    .addHelpText("after", ROLLOUT_HELP);

  adminCommand(
    rollout
      .command("status")
      .description("progress of the policy's newest rollout: stages, hosts, states, timings, failed hosts"),
  )
    .argument("<policy>", "policy name", policyArg)
    .option(
      "--watch",
      "re-render every second until the rollout ends (exit 0 when it succeeded, else 1; Ctrl-C to stop)",
    )
    .action(async (policy: string, flags: AdminFlags & { watch?: boolean }) => {
      if (flags.watch) {
        process.exitCode = await withPolicyClient(flags, policy, (c) => watchStatus(c, policy, flags));
        return;
      }
      const status = await withPolicyClient(flags, policy, (c) => c.rolloutStatus(policy));
      if (flags.json) printJson(status);
      else process.stdout.write(status ? renderRolloutStatus(status, Date.now()) : noRollout(policy));
    });

  const controls: [RolloutAction, string][] = [
    ["pause", "pause the policy's rollout: no further hosts get the new revision until resumed"],
    ["resume", "resume a paused rollout (failed hosts so far are accepted)"],
    ["abort", "stop the rollout where it is: hosts keep what they hold now"],
    ["rollback", "roll back: every host that got the new revision is sent the previous one"],
  ];
  for (const [action, description] of controls) {
    adminCommand(rollout.command(action).description(description))
      .argument("<policy>", "policy name", policyArg)
      .option("--reason <text>", "why, recorded with the rollout (default: a note naming the action)", reasonArg)
      .action(async (policy: string, flags: AdminFlags & { reason?: string }) => {
        const status = await withPolicyClient(flags, policy, (c) =>
          c.controlRollout(policy, action, flags.reason ?? ""),
        );
        if (flags.json) {
          printJson(status);
          return;
        }
        process.stdout.write(controlLine(policy, action, status, flags.reason));
        if (status) process.stdout.write(renderRolloutStatus(status, Date.now()));
      });
  }
}

/** The controller keeps this much of a reason. */
export const MAX_REASON = 500;

/** --reason: one line of printable text. */
export function reasonArg(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(value))
    throw new ValidationError("--reason: control characters (newlines, tabs, escapes) are not allowed");
  if (value.length > MAX_REASON)
    throw new ValidationError(`--reason: at most ${MAX_REASON} characters, got ${value.length}`);
  return value.trim();
}

/**
 * `rollout status --watch`: asks every second and re-renders (a terminal is redrawn in place;
 * otherwise a view is printed when the status changed; --json prints one line per change)
 * until the rollout ended or Ctrl-C. Resolves to the exit code: 0 when it ended succeeded.
 */
async function watchStatus(c: AdminClient, policy: string, flags: AdminFlags): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const tty = !flags.json && process.stdout.isTTY === true;
  let last: string | undefined;
  let unreachable = false;
  try {
    while (!stop.signal.aborted) {
      let status: RolloutStatusJson | null;
      try {
        status = await c.rolloutStatus(policy);
        if (unreachable) process.stderr.write("controller reachable again\n");
        unreachable = false;
      } catch (err) {
        if (!(err instanceof ControllerUnreachableError)) throw err;
        if (!unreachable)
          process.stderr.write(`${err.message}; retrying every ${WATCH_INTERVAL_MS / 1000}s (Ctrl-C to stop)\n`);
        unreachable = true;
        await sleep(WATCH_INTERVAL_MS, stop.signal);
        continue;
      }
      const doc = JSON.stringify(status);
      const ended = status === null || rolloutEnded(status);
      const view = () => (status ? renderRolloutStatus(status, Date.now()) : noRollout(policy));
      if (flags.json) {
        if (doc !== last) process.stdout.write(doc + "\n");
      } else if (tty) {
        process.stdout.write(
          `\x1b[H\x1b[2J${view()}${ended ? "" : `(every ${WATCH_INTERVAL_MS / 1000}s until the rollout ends; Ctrl-C to stop)\n`}`,
        );
      } else if (doc !== last) {
        process.stdout.write(`${last === undefined ? "" : "\n"}${view()}`);
      }
      last = doc;
      if (status === null) return ExitCode.OK;
      if (ended) return status.state === "succeeded" ? ExitCode.OK : ExitCode.FAILURE;
      await sleep(WATCH_INTERVAL_MS, stop.signal);
    }
    return ExitCode.FAILURE;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
