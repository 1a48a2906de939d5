import { ValidationError } from "../../common/errors.js";
import type { PolicyMode, ResolvedPolicy } from "../../kinds/resolved-policy.js";
import { prepareBundle, type PreparedBundle, type ResourceBuilder } from "../run-bundle/index.js";
import { checkResolvedPolicy } from "../../kinds/bundled-policy-check.js";

/** A bundle as the controller sends it (PolicyBundle), numbers already plain. */
export interface WireBundle {
  revision: string;
  generation: number;
  policies: { name: string; revision: string; mode: string; resolvedJson: string }[];
  /** Policy revisions this host was sent that were rolled back (PolicyBundle.rolled_back); absent = none. */
  rolledBack?: { policy: string; revision: string }[];
}

/** A validated bundle: what the enforcer converges to. */
export interface Bundle {
  revision: string;
  generation: number;
  policies: ResolvedPolicy[];
  /** Every resource id the bundle declares, in engine order. */
  resourceIds: string[];
  /** Its resources, built once for every run of this bundle (runBundle). */
  prepared: PreparedBundle;
  /** The wire form, for the cache. */
  wire: WireBundle;
  /** Rolled-back policy revisions: what they created and the bundle no longer declares is removed (kinds/ownership). */
  rolledBack: { policy: string; revision: string }[];
}

export class BundleError extends ValidationError {}

const MAX_REVISION_CHARS = 256;

/**
 * Validates a bundle from the controller (or the cache) and parses its policies. Throws
 * BundleError naming the policy and field at fault. Checks: revision and generation, each
 * policy's mode ("enforce" | "audit"), its resolved JSON's shape (kinds/bundled-policy-check.ts), that
 * the policy names are unique and match, and that the resources build into a valid graph
 * (no duplicate resource across policies, no cycle). The bundled `mode` wins over the one
 * inside resolvedJson. The resources are built here, once (prepareBundle; `build` replaces
 * the builder, for tests), and the same ones serve every run of the bundle.
 */
export function parseBundle(input: unknown, o: { build?: ResourceBuilder } = {}): Bundle {
  if (!isObject(input)) throw new BundleError("policy bundle is not an object");
  const { revision, generation, policies } = input;
  if (typeof revision !== "string" || revision.length === 0 || revision.length > MAX_REVISION_CHARS) {
    throw new BundleError(`policy bundle revision must be 1-${MAX_REVISION_CHARS} characters`);
  }
  const gen = typeof generation === "string" ? Number(generation) : generation;
  if (typeof gen !== "number" || !Number.isSafeInteger(gen) || gen < 0)
    throw new BundleError(`policy bundle ${revision}: generation ${String(generation)} is not a non-negative integer`);
  if (!Array.isArray(policies)) throw new BundleError(`policy bundle ${revision}: policies is not a list`);
  const wire: WireBundle = { revision, generation: gen, policies: [] };
  const parsed: ResolvedPolicy[] = [];
  const names = new Set<string>();
  for (const [i, p] of policies.entries()) {
    const where = `policy bundle ${revision}: policies[${i}]`;
    if (!isObject(p)) throw new BundleError(`${where} is not an object`);
    const { name, mode, resolvedJson } = p;
    const polRevision = typeof p.revision === "string" ? p.revision : "";
    if (typeof name !== "string" || name.length === 0) throw new BundleError(`${where}: name is missing`);
    if (names.has(name)) throw new BundleError(`${where}: policy ${name} appears twice`);
    names.add(name);
    if (mode !== "enforce" && mode !== "audit")
      throw new BundleError(`${where} (${name}): mode must be "enforce" or "audit", got ${JSON.stringify(mode)}`);
    if (typeof resolvedJson !== "string") throw new BundleError(`${where} (${name}): resolvedJson is missing`);
    let value: unknown;
    try {
      value = JSON.parse(resolvedJson);
    } catch (err) {
      throw new BundleError(`${where} (${name}): resolvedJson is not valid JSON`, { cause: err });
    }
    const problem = checkResolvedPolicy(value);
    if (problem) throw new BundleError(`${where} (${name}): resolved policy ${problem}`);
    const resolved = value as ResolvedPolicy;
    if (resolved.name !== name)
      throw new BundleError(`${where}: resolved policy is named ${resolved.name}, not ${name}`);
    parsed.push({ ...resolved, mode: mode as PolicyMode });
    wire.policies.push({ name, revision: polRevision, mode, resolvedJson });
  }
  const rolledBack = parseRolledBack(input.rolledBack, revision);
  if (rolledBack.length > 0) wire.rolledBack = rolledBack;
  let prepared: PreparedBundle;
  try {
    prepared = prepareBundle(parsed, { build: o.build });
  } catch (err) {
    throw new BundleError(`policy bundle ${revision}: its resources are inconsistent`, { cause: err });
  }
  return { revision, generation: gen, policies: parsed, resourceIds: [...prepared.ids], wire, prepared, rolledBack };
}

/** `rolledBack`: absent or a list of {policy, revision} strings. */
function parseRolledBack(input: unknown, revision: string): { policy: string; revision: string }[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new BundleError(`policy bundle ${revision}: rolledBack is not a list`);
  return input.map((r, i) => {
    if (!isObject(r) || typeof r.policy !== "string" || typeof r.revision !== "string" || r.policy === "")
      throw new BundleError(`policy bundle ${revision}: rolledBack[${i}] is not {policy, revision}`);
    return { policy: r.policy, revision: r.revision };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
