import { describeError, NotFoundError, ValidationError, type Logger } from "../../common/index.js";
import type { PolicyRepository } from "../policies/index.js";
import { RolloutStateError, type Rollout } from "../rollout/index.js";
import { NotLeaderError } from "./replica-inputs.js";
import type { RolloutCommand, RolloutRunner } from "./runner.js";

/** The operator commands a rollout takes, in the order people read them. */
export const ROLLOUT_COMMANDS: readonly RolloutCommand[] = ["pause", "resume", "abort", "rollback"];
/** Longest reason kept with a command (longer ones are clipped). */
export const MAX_ROLLOUT_REASON = 500;

export function isRolloutCommand(action: string): action is RolloutCommand {
  return (ROLLOUT_COMMANDS as readonly string[]).includes(action);
}

export interface RolloutControlDeps {
  runner: RolloutRunner;
  policies: PolicyRepository;
  log: Logger;
}

/**
 * Applies an operator command to `policy`'s newest rollout, for every front end (the admin
 * API's ControlRollout, the dashboard's buttons), and returns the rollout afterwards.
 * Throws, with a message that says what to do:
 * - ValidationError: `action` is not a rollout command;
 * - NotFoundError: the policy is neither in force nor has a rollout on record;
 * - RolloutStateError: the policy has no rollout yet, or the command does not apply in its state;
 * - NotLeaderError: this replica is a follower (the leader applies commands);
 * - anything else: the command failed (logged here).
 */
export async function controlRollout(
  d: RolloutControlDeps,
  policy: string,
  action: string,
  reason: string | undefined,
): Promise<Rollout> {
  if (!isRolloutCommand(action))
    throw new ValidationError(
      `unknown rollout action ${JSON.stringify(action)}; use one of ${ROLLOUT_COMMANDS.join(", ")}`,
    );
  const r = await d.runner.rolloutOf(policy);
  if (!r) {
    if (d.policies.current().policies.some((p) => p.name === policy))
      throw new RolloutStateError(`policy ${policy} has no rollout yet`);
    throw unknownPolicy(policy);
  }
  try {
    const after = await d.runner.control(policy, action, reason ? reason.slice(0, MAX_ROLLOUT_REASON) : undefined);
    d.log.info({ policy, action, rollout: after.id, state: after.state }, "rollout command applied");
    return after;
  } catch (err) {
    if (!(err instanceof RolloutStateError) && !(err instanceof NotLeaderError))
      d.log.error({ policy, action, err: describeError(err) }, "rollout command failed");
    throw err;
  }
}

/** The NotFoundError for a policy neither in force nor with a rollout on record. */
export function unknownPolicy(policy: string): NotFoundError {
  return new NotFoundError(`unknown policy ${JSON.stringify(policy)}; see \`virtfleet policies\``);
}
