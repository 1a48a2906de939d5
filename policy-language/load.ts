import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { canonicalHash } from "../common/canonical-json.js";
import { parseDuration } from "../common/units.js";
import { findConflicts, formatConflict, type ResourceConflict } from "./conflicts.js";
import {
  ALL_GROUP,
  buildInventory,
  describeHost,
  emptyInventory,
  inventoryHostNames,
  inventoryVarNames,
  UNGROUPED_GROUP,
  type Inventory,
} from "./inventory.js";
import {
  formatPath,
  IssueList,
  PolicyValidationError,
  sortIssues,
  type PathSegment,
  type PolicyIssue,
} from "../policy-primitives/issues.js";
import { DEFAULT_ROLLOUT, type LoadedPolicy, type RolloutSettings } from "./loaded-policy.js";
import { HostPattern } from "./patterns.js";
import { resolvePolicy } from "./resolve.js";
import type { InventoryDocument, PolicyDocument, RolloutDocument } from "./schema.js";
import { checkSchema } from "./schema-check.js";
import { checkPolicySemantics } from "./semantics.js";
import { matchTargets, type TargetHost } from "./targets.js";
import { hasTemplate, templateRefs } from "../policy-primitives/template.js";
import { POLICY_LIMITS } from "./limits.js";
import { foreignDocument } from "./foreign-document.js";
import { PolicyReadBudget } from "./read-files.js";
import { emptyFileIssue } from "./empty-file.js";
import { checkSetReferences } from "./references.js";
import { checkSetPoolTargets } from "./pool-targets.js";
import { parseYamlDocuments, type SourceDocument } from "./yaml-source.js";

/** Policy files larger than this are rejected unread (POLICY_LIMITS.fileBytes). */
export const MAX_POLICY_FILE_BYTES = POLICY_LIMITS.fileBytes;
/** `policy validate` resolves each policy for at most this many inventory hosts. */
export const MAX_HOSTS_RESOLVED = 1000;

export interface PolicySource {
  file: string;
  text: string;
}

export interface LoadOptions {
  /** Enrolled hosts (with facts and labels), added to the inventory's hosts for the conflict check. */
  hosts?: readonly TargetHost[];
  /** Also resolve every policy for each inventory host it targets (catches `${host.labels.x}` a host lacks). Default true. */
  resolveInventoryHosts?: boolean;
  /**
   * Unknown `targets.groups` are errors even when no inventory file was loaded (the empty
   * inventory: only `all` and `ungrouped` exist). Default false: without an inventory the
   * group names cannot be checked (e.g. `policy validate` of single files). The controller
   * always has an inventory — its folder's, or the empty one — so it loads with true.
   */
  strictGroups?: boolean;
  /**
   * Skip the checks of names a policy refers to elsewhere (target groups, inventory
   * variables): for revisions accepted earlier and re-read from the store, which must load
   * even after the inventory they were accepted with changed. Default false.
   */
  skipReferenceChecks?: boolean;
}

/**
 * The outcome of loading. A file with any error contributes no policy (rejected whole);
 * `errors` lists every problem in every file, sorted by file, line, column. Conflicts
 * between valid policies are in `conflicts`; those with equal priorities are also errors,
 * but the policies stay loaded (per host, `resolveConflicts` drops the contested resource).
 */
export interface LoadResult {
  policies: LoadedPolicy[];
  /** The inventory, or an empty one (implicit groups only) when none was given. */
  inventory: Inventory;
  errors: PolicyIssue[];
  conflicts: ResourceConflict[];
  /** Every file read, in load order. */
  files: string[];
}

/** `inventory.yaml` / `inventory.yml` (by base name) is the inventory; every other file holds policies. */
export function isInventoryFile(file: string): boolean {
  return /^inventory\.ya?ml$/.test(basename(file));
}

/**
 * Loads policies and the inventory from files and folders. A folder contributes its
 * `*.yaml` / `*.yml` files (not recursive, hidden files skipped) in sorted order. Files are
 * read within POLICY_LIMITS (PolicyReadBudget): too many, too large or not regular files
 * are errors, and nothing over a limit is parsed.
 */
export async function loadPolicies(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const sources: PolicySource[] = [];
  const readErrors: PolicyIssue[] = [];
  const files: string[] = [];
  /** The folder each file was listed from (a file named on its own may be anywhere). */
  const roots = new Map<string, string>();
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      readErrors.push({ file: path, line: 0, col: 0, path: "", message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((n) => !n.startsWith(".") && /\.ya?ml$/.test(n)).sort();
    for (const n of names) {
      files.push(join(path, n));
      roots.set(join(path, n), path);
    }
  }
  const budget = new PolicyReadBudget();
  const tooMany = budget.checkCount(files.length, paths.join(", "));
  if (tooMany)
    return { policies: [], inventory: emptyInventory(), errors: [...readErrors, tooMany], conflicts: [], files: [] };
  for (const file of files) {
    const read = await budget.read(file, roots.get(file));
    if (read === "skip") continue;
    if ("issue" in read) readErrors.push(read.issue);
    else sources.push({ file, text: read.text });
  }
  const result = loadPolicySources(sources, options);
  return { ...result, errors: sortIssues([...readErrors, ...result.errors], [...paths, ...result.files]) };
}

type ParsedSource = ReturnType<typeof parseYamlDocuments>;

/** Loads from in-memory sources (same rules as `loadPolicies`). */
export function loadPolicySources(sources: readonly PolicySource[], options: LoadOptions = {}): LoadResult {
  return loadParsed(
    sources,
    sources.map((s) => parseYamlDocuments(s.text, s.file)),
    options,
  );
}

/**
 * `loadPolicySources` for a long-running process: each file is parsed in its own turn of
 * the event loop, so a large folder (up to POLICY_LIMITS.totalBytes) stalls other work for
 * at most one file's parse, not the whole folder's.
 */
export async function loadPolicySourcesYielding(
  sources: readonly PolicySource[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  const parsed: ParsedSource[] = [];
  for (const s of sources) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    parsed.push(parseYamlDocuments(s.text, s.file));
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  return loadParsed(sources, parsed, options);
}

function loadParsed(
  sources: readonly PolicySource[],
  parsed: readonly ParsedSource[],
  options: LoadOptions,
): LoadResult {
  const fileIssues = new Map<string, PolicyIssue[]>();
  const report = (file: string, issues: readonly PolicyIssue[]) => {
    if (issues.length === 0) return;
    if (!fileIssues.has(file)) fileIssues.set(file, []);
    fileIssues.get(file)!.push(...issues);
  };

  let inventory: Inventory = emptyInventory();
  let candidates: LoadedPolicy[] = [];
  for (const [i, src] of sources.entries()) {
    const { documents, issues } = parsed[i]!;
    report(src.file, issues);
    if (issues.length > 0) continue;
    const empty = emptyFileIssue(src.file, src.text, documents.length);
    if (empty) {
      report(src.file, [empty]);
      continue;
    }
    if (isInventoryFile(src.file)) {
      if (inventory.file !== null) {
        report(src.file, [
          { file: src.file, line: 1, col: 1, path: "", message: `a second inventory; the first is ${inventory.file}` },
        ]);
        continue;
      }
      const inv = loadInventory(documents, src.file);
      report(src.file, inv.issues);
      if (inv.issues.length === 0 && inv.inventory) inventory = inv.inventory;
      continue;
    }
    const loaded = documents.map((doc) => loadPolicyDocument(doc));
    const bad = loaded.flatMap((l) => l.issues);
    report(src.file, bad);
    if (bad.length === 0) candidates.push(...loaded.map((l) => l.policy!));
  }

  for (const issue of crossChecks(candidates, inventory, options)) report(issue.file, [issue]);
  if (options.skipReferenceChecks !== true)
    for (const issue of checkSetReferences(candidates, inventory, options.hosts)) report(issue.file, [issue]);
  for (const issue of checkSetPoolTargets(candidates, inventory, options.hosts)) report(issue.file, [issue]);
  candidates = candidates.filter((p) => !fileIssues.has(p.file));

  const conflicts = findConflicts(candidates, inventory, { hosts: options.hosts });
  for (const c of conflicts) {
    if (c.winner !== null) continue;
    const second = c.sides[1];
    report(second.location.file, [
      { ...second.location, path: second.path ?? "", message: `conflict: ${formatConflict(c)}` },
    ]);
  }
  const files = sources.map((s) => s.file);
  const errors = sortIssues([...fileIssues.values()].flat(), files);
  return { policies: candidates, inventory, errors, conflicts, files };
}

function loadInventory(
  documents: SourceDocument[],
  file: string,
): { inventory: Inventory | null; issues: PolicyIssue[] } {
  if (documents.length === 0) return { inventory: { ...emptyInventory(), file }, issues: [] };
  const doc = documents[0];
  const issues = new IssueList(file, doc.locate);
  if (documents.length > 1) {
    const extra = documents[1];
    return { inventory: null, issues: [{ ...extra.start, path: "", message: "inventory.yaml holds one document" }] };
  }
  const foreign = foreignDocument("inventory", doc.value);
  if (foreign) return { inventory: null, issues: [{ ...doc.start, path: "", message: foreign }] };
  if (!checkSchema("inventory", doc.value, issues)) return { inventory: null, issues: issues.items };
  const inventory = buildInventory(doc.value as InventoryDocument, file, issues);
  return { inventory, issues: issues.items };
}

/** Validates one YAML document as a Policy (schema, then semantics). */
export function loadPolicyDocument(doc: SourceDocument): { policy: LoadedPolicy | null; issues: PolicyIssue[] } {
  const foreign = foreignDocument("policy", doc.value);
  if (foreign) return { policy: null, issues: [{ ...doc.start, path: "", message: foreign }] };
  const issues = new IssueList(doc.file, doc.locate);
  if (!checkSchema("policy", doc.value, issues)) return { policy: null, issues: issues.items };
  const document = doc.value as PolicyDocument;
  checkPolicySemantics(document, issues, { deferTemplates: true });
  if (!issues.empty) return { policy: null, issues: issues.items };
  const spec = document.spec;
  return {
    policy: {
      name: document.metadata.name,
      description: document.metadata.description ?? null,
      file: doc.file,
      source: doc.start,
      document,
      revision: canonicalHash(document),
      mode: spec.mode ?? "enforce",
      priority: spec.priority ?? 0,
      targets: spec.targets ?? null,
      vars: spec.vars ?? {},
      rollout: rolloutSettings(spec.rollout),
      locate: doc.locate,
    },
    issues: [],
  };
}

function rolloutSettings(r: RolloutDocument | undefined): RolloutSettings {
  const batch = r?.batchSize;
  return {
    canary: r?.canary ?? DEFAULT_ROLLOUT.canary,
    batchSize:
      batch === undefined
        ? DEFAULT_ROLLOUT.batchSize
        : typeof batch === "number"
          ? { count: batch }
          : { percent: Number(batch.slice(0, -1)) },
    soakMs: r?.soak === undefined ? DEFAULT_ROLLOUT.soakMs : parseDuration(r.soak),
    maxFailures: r?.maxFailures ?? DEFAULT_ROLLOUT.maxFailures,
    onFailure: r?.onFailure ?? DEFAULT_ROLLOUT.onFailure,
    ...(r?.offlineTimeout === undefined ? {} : { offlineTimeoutMs: parseDuration(r.offlineTimeout) }),
    ...(r?.offlineHosts === undefined ? {} : { offlineHosts: r.offlineHosts }),
  };
}

/** Checks that need the whole set: duplicate names, target groups and patterns, variable names, per-host templating. */
function crossChecks(policies: readonly LoadedPolicy[], inventory: Inventory, options: LoadOptions): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const add = (p: LoadedPolicy, path: PathSegment[], message: string) =>
    out.push({ ...p.locate(path), path: formatPath(path), message });
  const byName = new Map<string, LoadedPolicy>();
  const inventoryVars = inventoryVarNames(inventory);
  for (const p of policies) {
    const first = byName.get(p.name);
    if (first) {
      const at = first.locate(["metadata", "name"]);
      add(
        p,
        ["metadata", "name"],
        `policy "${p.name}" is already defined at ${at.file}:${at.line}:${at.col}; policy names are unique in the fleet`,
      );
    } else byName.set(p.name, p);

    p.targets?.groups?.forEach((g, i) => {
      if (
        options.skipReferenceChecks !== true &&
        (inventory.file !== null || options.strictGroups === true) &&
        g !== ALL_GROUP &&
        g !== UNGROUPED_GROUP &&
        !inventory.groups.has(g)
      ) {
        const known = [ALL_GROUP, UNGROUPED_GROUP, ...inventory.groups.keys()].join(", ");
        const where =
          inventory.file === null
            ? `there is no inventory.yaml, so only the implicit groups exist: ${known}`
            : `${inventory.file} defines: ${known}`;
        add(p, ["spec", "targets", "groups", i], `unknown group "${g}" (${where})`);
      }
    });
    p.targets?.hosts?.forEach((h, i) => {
      try {
        HostPattern.parse(h);
      } catch (err) {
        add(p, ["spec", "targets", "hosts", i], (err as Error).message);
      }
    });
    forEachString(p.document.spec.resources, ["spec", "resources"], (s, path) => {
      if (options.skipReferenceChecks === true || !hasTemplate(s)) return;
      for (const ref of templateRefs(s)) {
        if (!ref.startsWith("vars.")) continue;
        const name = ref.slice(5);
        if (!Object.hasOwn(p.vars, name) && !inventoryVars.has(name)) {
          add(
            p,
            path,
            `unknown variable "\${${ref}}": define it in spec.vars or in an inventory group's or host's vars`,
          );
        }
      }
    });
  }
  if (options.resolveInventoryHosts !== false && out.length === 0)
    out.push(...resolveForInventoryHosts(policies, inventory));
  return out;
}

function resolveForInventoryHosts(policies: readonly LoadedPolicy[], inventory: Inventory): PolicyIssue[] {
  let names: string[];
  try {
    names = inventoryHostNames(inventory).slice(0, MAX_HOSTS_RESOLVED);
  } catch {
    return [];
  }
  const out: PolicyIssue[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const info = describeHost(inventory, name);
    for (const p of policies) {
      if (!matchTargets(p.targets, { name, groups: info.groups, labels: info.labels })) continue;
      try {
        resolvePolicy(p, { name, labels: info.labels, vars: info.vars });
      } catch (err) {
        if (!(err instanceof PolicyValidationError)) throw err;
        for (const issue of err.issues) {
          const key = `${issue.file}\0${issue.path}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(issue);
        }
      }
    }
  }
  return out;
}

function forEachString(v: unknown, path: PathSegment[], fn: (s: string, path: PathSegment[]) => void): void {
  if (typeof v === "string") fn(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => forEachString(x, [...path, i], fn));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) forEachString(x, [...path, k], fn);
}
