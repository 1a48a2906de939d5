import { describeError, VirtfleetError } from "../../common/index.js";
import { validatePlanResult } from "../agent-messages/index.js";
import type { PlanAnswer, PlanBundle } from "./plan-requester.js";

/**
 * A plan request or answer another controller replica stored (`plan_requests`) cannot be read:
 * not JSON, or not the shape this replica writes. The plan reports it as that host's "error".
 */
export class StoredPlanError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORED_PLAN_INVALID", message, options);
  }
}

/** The answer as stored: PlanAnswer as JSON. */
export function encodeAnswer(answer: PlanAnswer): string {
  return JSON.stringify(answer);
}

/**
 * The PlanAnswer stored by the replica holding the stream, checked again: a "planned" answer's
 * resources go through the same validation as an agent's PlanResult (validatePlanResult), so a
 * row that is malformed (a bug, a replica of another version, a hand edit) never reaches the
 * plan's aggregation. Never throws: anything unreadable is an "error" answer saying so.
 */
export function parseStoredAnswer(json: string): PlanAnswer {
  try {
    return readAnswer(JSON.parse(json) as unknown);
  } catch (err) {
    return {
      status: "error",
      error: `the answer stored by the controller replica holding the stream is unreadable: ${describeError(err)}`,
    };
  }
}

function readAnswer(v: unknown): PlanAnswer {
  if (!isObject(v)) throw new StoredPlanError("not an object");
  switch (v.status) {
    case "timeout":
    case "offline":
      return { status: v.status };
    case "error":
      if (typeof v.error !== "string") throw new StoredPlanError("an error answer without its text");
      return { status: "error", error: v.error };
    case "planned": {
      if (!Array.isArray(v.resources)) throw new StoredPlanError("a planned answer without its resources");
      const valid = validatePlanResult({
        commandId: "stored-plan",
        bundleRevision: "",
        error: "",
        durationMs: v.durationMs as number,
        resources: v.resources.map((r: unknown, i) => {
          if (!isObject(r)) throw new StoredPlanError(`resources[${i}] is not an object`);
          return {
            kind: String(r.kind),
            name: String(r.name),
            policy: String(r.policy),
            outcome: String(r.outcome),
            changesJson: JSON.stringify(r.changes ?? null),
            error: String(r.error),
            pendingRestart: r.pendingRestart === true,
            changes: [],
          };
        }),
      });
      return { status: "planned", resources: valid.resources, durationMs: valid.durationMs };
    }
    default:
      throw new StoredPlanError(`unknown status ${JSON.stringify(v.status)}`);
  }
}

/** The bundle as stored: PlanBundle as JSON. */
export function encodeBundle(bundle: PlanBundle): string {
  return JSON.stringify({ revision: bundle.revision, generation: bundle.generation, policies: bundle.policies });
}

/** The stored bundle, checked for shape (the agent validates its content). Throws StoredPlanError. */
export function parseStoredBundle(json: string): PlanBundle {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new StoredPlanError("the stored plan bundle is not JSON", { cause: err });
  }
  if (
    !isObject(v) ||
    typeof v.revision !== "string" ||
    !Number.isSafeInteger(v.generation) ||
    !Array.isArray(v.policies)
  )
    throw new StoredPlanError("the stored plan bundle lacks its revision, generation or policies");
  const policies = v.policies.map((p: unknown, i) => {
    if (
      !isObject(p) ||
      typeof p.name !== "string" ||
      typeof p.revision !== "string" ||
      typeof p.mode !== "string" ||
      typeof p.resolvedJson !== "string"
    )
      throw new StoredPlanError(`the stored plan bundle's policies[${i}] is malformed`);
    return { name: p.name, revision: p.revision, mode: p.mode, resolvedJson: p.resolvedJson };
  });
  return { revision: v.revision, generation: v.generation as number, policies };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
