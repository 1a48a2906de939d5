import { backoffDelay, type BackoffOptions } from "../common/backoff.js";
import { describeError, VirtfleetError } from "../common/errors.js";
import { emptyOutcomeCounts } from "../common/wire/states.js";
import { buildGraph } from "./graph.js";
import { RefusedChangeError } from "./refusal.js";
import {
  resourceId,
  type CheckResult,
  type EngineReport,
  type Outcome,
  type Resource,
  type ResourceId,
  type ResourceReport,
} from "./types.js";

export interface EngineOptions {
  /** false = dry-run: read and compare only. */
  apply: boolean;
  /** Resources checked at the same time. */
  concurrency: number;
  /** Per attempt of one resource. */
  timeoutMs: number;
  /** Extra attempts after a transient error. */
  retries: number;
  retryBackoff: BackoffOptions;
  /** Which errors are worth retrying (e.g. a libvirt connection drop). */
  isTransient: (err: unknown) => boolean;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
}

export type EngineEvent =
  | { type: "start"; id: ResourceId }
  | { type: "retry"; id: ResourceId; attempt: number; error: string; delayMs: number }
  | { type: "done"; report: ResourceReport };

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, "apply"> = {
  concurrency: 4,
  timeoutMs: 120_000,
  retries: 2,
  retryBackoff: { initialMs: 200, maxMs: 3_000, multiplier: 2 },
  isTransient: () => false,
};

export class ResourceTimeoutError extends VirtfleetError {
  constructor(id: string, ms: number) {
    super("TIMEOUT", `${id}: no result within ${ms} ms`);
  }
}

export class NotConvergedError extends VirtfleetError {
  constructor(id: string, fields: string[]) {
    super(
      "NOT_CONVERGED",
      `${id}: still differs after apply in ${fields.join(", ")} (a resource bug or something fighting the change)`,
    );
  }
}

/**
 * Converges `resources` in dependency order (see graph.ts), at most `concurrency` at once.
 * Contract:
 * - outcome per resource: ok (in sync), changed (applied), drift (dry-run or audit-mode
 *   resource found differences),
 *   failed (threw, timed out, or still differed after apply), skipped (something it depends on
 *   failed or was skipped);
 * - with apply, every changed resource is checked again without apply; any remaining
 *   difference makes it failed, so "changed" always means "now in sync";
 * - blocked / conflict: the resource threw RefusedChangeError (refusal.ts); nothing was touched;
 * - a failure never stops unrelated resources.
 */
export async function converge(resources: readonly Resource[], options: EngineOptions): Promise<EngineReport> {
  const started = Date.now();
  const graph = buildGraph(resources);
  const reports = new Map<ResourceId, ResourceReport>();
  const remaining = new Set(graph.ids);
  const running = new Set<Promise<void>>();

  const blockedBy = (id: ResourceId): ResourceId | undefined =>
    [...graph.before.get(id)!].find((dep) => {
      const o = reports.get(dep)?.outcome;
      return o === "failed" || o === "skipped";
    });
  const isReady = (id: ResourceId) => [...graph.before.get(id)!].every((dep) => reports.has(dep));

  while (remaining.size > 0 || running.size > 0) {
    for (const id of graph.ids) {
      if (!remaining.has(id) || !isReady(id)) continue;
      const blocker = blockedBy(id);
      if (blocker) {
        remaining.delete(id);
        const r = graph.byId.get(id)!;
        const report = baseReport(r, "skipped");
        report.error = `skipped: ${blocker} ${reports.get(blocker)!.outcome === "failed" ? "failed" : "was skipped"}`;
        reports.set(id, report);
        options.onEvent?.({ type: "done", report });
        continue;
      }
      if (running.size >= options.concurrency) break;
      remaining.delete(id);
      const p = runOne(graph.byId.get(id)!, options).then((report) => {
        reports.set(id, report);
        options.onEvent?.({ type: "done", report });
        running.delete(p);
      });
      running.add(p);
    }
    if (running.size > 0) await Promise.race(running);
    else if (remaining.size > 0 && ![...remaining].some(isReady)) {
      throw new VirtfleetError("ENGINE", `engine stalled with ${[...remaining].join(", ")} waiting`);
    }
  }

  const ordered = graph.ids.map((id) => reports.get(id)!);
  const summary = emptyOutcomeCounts();
  for (const r of ordered) summary[r.outcome]++;
  return { dryRun: !options.apply, summary, resources: ordered, durationMs: Date.now() - started };
}

function baseReport(r: Resource, outcome: Outcome): ResourceReport {
  return { kind: r.kind, name: r.name, policy: r.policy, outcome, changes: [], attempts: 0, durationMs: 0 };
}

async function runOne(r: Resource, o: EngineOptions): Promise<ResourceReport> {
  const id = resourceId(r.kind, r.name);
  const started = Date.now();
  o.onEvent?.({ type: "start", id });
  const report = baseReport(r, "ok");
  const apply = o.apply && r.audit !== true;
  for (let attempt = 0; ; attempt++) {
    report.attempts = attempt + 1;
    try {
      const result = await withTimeout(id, o, (signal) => r.checkApply(signal, apply));
      if (apply && result.changes.length > 0) {
        const verify = await withTimeout(id, o, (signal) => r.checkApply(signal, false));
        if (verify.changes.length > 0)
          throw new NotConvergedError(
            id,
            verify.changes.map((c) => c.field),
          );
      }
      fill(report, result, apply);
      break;
    } catch (err) {
      if (!(err instanceof RefusedChangeError) && attempt < o.retries && o.isTransient(err) && !o.signal?.aborted) {
        const delayMs = backoffDelay(attempt, o.retryBackoff);
        o.onEvent?.({ type: "retry", id, attempt: attempt + 1, error: describeError(err), delayMs });
        await new Promise((res) => setTimeout(res, delayMs));
        continue;
      }
      if (err instanceof RefusedChangeError) {
        // refused before anything was touched: the outcome says why, the changes say what was asked
        report.outcome = err.outcome;
        report.changes = err.changes;
      } else report.outcome = "failed";
      report.error = describeError(err);
      break;
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}

function fill(report: ResourceReport, result: CheckResult, apply: boolean): void {
  report.changes = result.changes;
  report.outcome = result.changes.length === 0 ? "ok" : apply ? "changed" : "drift";
  if (result.pendingRestart) report.pendingRestart = true;
  if (result.notes?.length) report.notes = result.notes;
}

/** Runs `fn` with a signal that aborts on the engine's signal or after the timeout; never waits past the timeout. */
async function withTimeout<T>(id: string, o: EngineOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  // One controller per attempt, linked to the engine's signal by a listener removed in
  // `finally` (AbortSignal.any keeps a reference per call on long-lived signals).
  const timeout = new AbortController();
  const parent = o.signal;
  const onParentAbort = () => timeout.abort(parent?.reason);
  if (parent?.aborted) timeout.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  const signal = timeout.signal;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new ResourceTimeoutError(id, o.timeoutMs);
      timeout.abort(err);
      reject(err);
    }, o.timeoutMs);
  });
  try {
    return await Promise.race([fn(signal), expired]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onParentAbort);
  }
}
