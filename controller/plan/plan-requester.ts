import { randomUUID } from "node:crypto";
import type { BundledPolicy } from "../../generated/proto/fleet/v1/BundledPolicy.js";
import { describeError, type Logger } from "../../common/index.js";
import type { PlanOutcome, ValidPlanResult } from "../agent-messages/index.js";
import type { AgentSession, AgentStreamHooks } from "../agents/index.js";

/** How one host answered a plan request. */
export type PlanAnswer =
  | { status: "planned"; resources: PlanOutcome[]; durationMs: number }
  | { status: "error"; error: string }
  | { status: "timeout" }
  | { status: "offline" };

/** The bundle to dry-run, as a host would receive it (PolicyBundle). */
export interface PlanBundle {
  revision: string;
  generation: number;
  policies: BundledPolicy[];
}

/** Plan requests one stream may have outstanding; more are answered with an error at once. */
export const DEFAULT_MAX_PLANS_PER_SESSION = 4;
/** Longest wait setTimeout takes (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Outstanding {
  session: AgentSession;
  timer: NodeJS.Timeout;
  settle: (answer: PlanAnswer) => void;
}

/**
 * Asks connected agents to dry-run a bundle (Command.plan) and matches their PlanResults.
 * Register `hooks()` with AgentService.use. Contract:
 * - `request()` never rejects and settles exactly once: "planned" on the matching
 *   PlanResult, "error" when that result carries one (or the request could not be sent, or
 *   the stream already has `maxPerSession` outstanding), "timeout" after `timeoutMs`,
 *   "offline" when the stream is closed or closes first;
 * - a settled request leaves no timer and no entry behind;
 * - PlanResults for unknown, expired or another stream's command ids are logged at debug
 *   and dropped (an answer is only ever matched to the stream that was asked).
 */
export class PlanRequester {
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly perSession = new Map<AgentSession, Set<string>>();

  constructor(
    private readonly log: Logger,
    private readonly maxPerSession = DEFAULT_MAX_PLANS_PER_SESSION,
  ) {}

  hooks(): AgentStreamHooks {
    return {
      onPlanResult: (session, result) => this.onResult(session, result),
      onClosed: (session) => this.settleSession(session, { status: "offline" }),
    };
  }

  /** Requests outstanding now (all streams). */
  get size(): number {
    return this.outstanding.size;
  }

  request(session: AgentSession, bundle: PlanBundle, timeoutMs: number): Promise<PlanAnswer> {
    if (session.closed) return Promise.resolve({ status: "offline" });
    const ids = this.perSession.get(session) ?? new Set<string>();
    if (ids.size >= this.maxPerSession) return Promise.resolve({ status: "error", error: "too many plans in flight" });
    const id = `plan-${randomUUID()}`;
    return new Promise<PlanAnswer>((resolve) => {
      const settle = (answer: PlanAnswer) => {
        const o = this.outstanding.get(id);
        if (!o) return;
        clearTimeout(o.timer);
        this.outstanding.delete(id);
        ids.delete(id);
        if (ids.size === 0 && this.perSession.get(session) === ids) this.perSession.delete(session);
        resolve(answer);
      };
      const delay = Math.min(
        MAX_TIMER_MS,
        Math.max(1, Number.isFinite(timeoutMs) ? Math.floor(timeoutMs) : MAX_TIMER_MS),
      );
      const timer = setTimeout(() => {
        this.log.info({ host: session.host, command: id, timeoutMs: delay }, "plan request timed out");
        settle({ status: "timeout" });
      }, delay);
      timer.unref();
      // Registered before sending: a send that breaks the stream closes it synchronously.
      this.outstanding.set(id, { session, timer, settle });
      ids.add(id);
      this.perSession.set(session, ids);
      try {
        session.send({
          command: {
            id,
            plan: { bundle: { revision: bundle.revision, generation: bundle.generation, policies: bundle.policies } },
          },
        });
      } catch (err) {
        this.log.warn({ host: session.host, command: id, err: describeError(err) }, "cannot send plan request");
        settle({ status: "error", error: `cannot send the plan request: ${describeError(err)}` });
        return;
      }
      if (session.closed) settle({ status: "offline" });
      else this.log.debug({ host: session.host, command: id, revision: bundle.revision }, "plan requested");
    });
  }

  /** Settles every outstanding request as offline (controller shutdown). */
  close(): void {
    for (const o of [...this.outstanding.values()]) o.settle({ status: "offline" });
  }

  private onResult(session: AgentSession, result: ValidPlanResult): void {
    const o = this.outstanding.get(result.commandId);
    if (!o || o.session !== session) {
      this.log.debug(
        { host: session.host, command: result.commandId },
        "plan result for an unknown or expired request; dropped",
      );
      return;
    }
    if (result.error !== "") o.settle({ status: "error", error: result.error });
    else o.settle({ status: "planned", resources: result.resources, durationMs: result.durationMs });
  }

  private settleSession(session: AgentSession, answer: PlanAnswer): void {
    const ids = this.perSession.get(session);
    if (!ids) return;
    for (const id of [...ids]) this.outstanding.get(id)?.settle(answer);
  }
}
