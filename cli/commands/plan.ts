import type { Command } from "commander";
import { OptionError } from "../../common/errors.js";
import { formatDuration } from "../../common/units.js";
import { MAX_PLAN_TIMEOUT_MS } from "../../controller/defaults.js";
import { durationArg } from "../option-parsers.js";
import { renderPlan } from "../output/plan-view.js";
import { adminCommand, policyArg, withPolicyClient, type AdminFlags } from "./rollout.js";

export const DEFAULT_PLAN_TIMEOUT_MS = 30_000;

/** --timeout: how long the controller waits for the hosts' dry-runs; more than 0, at most the controller's limit (5m). */
export function planTimeoutArg(value: string): number {
  const ms = durationArg(value);
  if (ms <= 0 || ms > MAX_PLAN_TIMEOUT_MS)
    throw new OptionError(
      "--timeout",
      `must be more than 0 and at most ${formatDuration(MAX_PLAN_TIMEOUT_MS)}, got "${value}"`,
    );
  return ms;
}

const PLAN_HELP = `
The controller asks every host the policy targets to dry-run the policy's pending revision
against its libvirt (nothing changes) and waits up to --timeout for the answers. Hosts that
are offline or do not answer in time are listed as such. Exit 0 when the plan was made
(even with unanswered hosts), 2 for an unknown policy, 1 when the controller failed.

Examples:
  virtfleet plan web
  virtfleet plan web --timeout 2m --json
`;

/** `virtfleet plan POLICY`: fleet-wide dry-run of the policy's pending revision. */
export function registerPlanCommand(program: Command): void {
  adminCommand(
    program
      .command("plan")
      .description(
        "fleet-wide dry-run of a policy's pending revision: per host what would be created, changed, removed, restarted, recreated",
      ),
  )
    .argument("<policy>", "policy name", policyArg)
    .option(
      "--timeout <duration>",
      "how long the controller waits for the hosts' answers, e.g. 2m (default: 30s, at most 5m)",
      planTimeoutArg,
    )
    .addHelpText("after", PLAN_HELP)
    .action(async (policy: string, flags: AdminFlags & { timeout?: number }) => {
      const timeout = flags.timeout ?? DEFAULT_PLAN_TIMEOUT_MS;
      if (!flags.json && process.stderr.isTTY)
        process.stderr.write(
          `planning ${policy}: asking its hosts for a dry-run (up to ${formatDuration(timeout)})…\n`,
        );
      const plan = await withPolicyClient(flags, policy, (c) => c.plan(policy, timeout));
      process.stdout.write(flags.json ? JSON.stringify(plan, null, 2) + "\n" : renderPlan(plan));
    });
}
