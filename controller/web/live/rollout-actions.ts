import { NotFoundError, ValidationError } from "../../../common/index.js";
import { RolloutStateError } from "../../rollout/index.js";
import { controlRollout, NotLeaderError, ROLLOUT_COMMANDS, type RolloutCommand } from "../../rollout-runner/index.js";
import type { Route, WebResponse } from "../route.js";
import type { WebDeps } from "../deps.js";
import { problemPage, rolloutHref } from "./format.js";

/**
 * POST /rollouts/:policy/<command> for pause, resume, abort and rollback: role operator, audited
 * by the server as `rollout.<command>` on the policy. The command goes through
 * controlRollout (controller/rollout-runner), the code the admin API's ControlRollout runs;
 * the optional form field `reason` goes with it. Answers a redirect to the rollout's page, or
 * a page saying why the command was refused (400 bad command, 404 unknown policy, 409 not
 * possible in the rollout's state, or this replica is not the one running rollouts).
 */
export function rolloutAction(command: RolloutCommand): Route<WebDeps> {
  return {
    method: "POST",
    path: `/rollouts/:policy/${command}`,
    role: "operator",
    action: (req) => ({ action: `rollout.${command}`, target: req.params.policy ?? "" }),
    async handle(req, deps): Promise<WebResponse> {
      const policy = req.params.policy ?? "";
      const reason = (req.form.get("reason") ?? "").trim() || undefined;
      const back = { href: rolloutHref(policy), label: `Back to the rollout of ${policy}` };
      try {
        await controlRollout(
          { runner: deps.rollouts, policies: deps.policies, log: deps.log },
          policy,
          command,
          reason,
        );
      } catch (err) {
        const title = `Cannot ${command} the rollout`;
        if (err instanceof RolloutStateError) return problemPage(title, err.message, 409, back);
        if (err instanceof NotFoundError)
          return problemPage(title, err.message, 404, { href: "/rollouts", label: "All rollouts" });
        if (err instanceof ValidationError) return problemPage(title, err.message, 400, back);
        if (err instanceof NotLeaderError) {
          // another replica runs the rollouts: its dashboard takes the command
          const leader = await deps.leaderDashboard?.().catch(() => null);
          return problemPage(
            title,
            leader
              ? `This controller replica does not run rollouts: use the leading replica's dashboard at ${leader}`
              : "This controller replica does not run rollouts, and the leading replica's dashboard is not known: try another replica",
            409,
            back,
          );
        }
        throw err;
      }
      return { kind: "redirect", location: rolloutHref(policy) };
    },
  };
}

/** The four operator routes, in ROLLOUT_COMMANDS order. */
export const ROLLOUT_ACTION_ROUTES: Route<WebDeps>[] = ROLLOUT_COMMANDS.map(rolloutAction);
