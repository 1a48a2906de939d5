import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { formatConflict, formatIssue, loadPolicies, ValidationError, type LoadResult } from "../../common/index.js";
import { registerPolicyPushCommand } from "./policy-push.js";

interface ValidateFlags {
  json?: boolean;
}

/** The `policy validate --json` document. */
export interface ValidateReport {
  valid: boolean;
  errors: { file: string; line: number; col: number; path: string; message: string }[];
  policies: {
    name: string;
    file: string;
    revision: string;
    mode: string;
    priority: number;
    resources: { host: number; networks: number; pools: number; volumes: number; domains: number };
  }[];
  inventory: { file: string | null; groups: number };
  /** Resolved conflicts (different priorities): which policy wins each contested resource. */
  overrides: string[];
}

export function validateReport(result: LoadResult): ValidateReport {
  return {
    valid: result.errors.length === 0,
    errors: result.errors.map(({ file, line, col, path, message }) => ({ file, line, col, path, message })),
    policies: result.policies.map((p) => {
      const r = p.document.spec.resources;
      return {
        name: p.name,
        file: p.file,
        revision: p.revision,
        mode: p.mode,
        priority: p.priority,
        resources: {
          host: r.host ? 1 : 0,
          networks: r.networks?.length ?? 0,
          pools: r.pools?.length ?? 0,
          volumes: r.volumes?.length ?? 0,
          domains: r.domains?.length ?? 0,
        },
      };
    }),
    inventory: { file: result.inventory.file, groups: result.inventory.groups.size },
    overrides: result.conflicts.filter((c) => c.winner !== null).map(formatConflict),
  };
}

/**
 * `virtfleet policy validate PATH… [--json]`: loads policies and the inventory, prints
 * every error as `file:line:col: path: message` on stderr (or one JSON document on stdout
 * with --json) and fails with exit code 2 (ValidationError) when there is any error.
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command("policy").description("work with policy files");
  policy
    .command("validate")
    .description("validate policies and inventory (files or folders); errors as file:line:col")
    .argument("<paths...>", "policy files or folders (folders: *.yaml, *.yml; inventory.yaml is the inventory)")
    .option("--json", "print one JSON document on stdout")
    .action(async (paths: string[], flags: ValidateFlags) => {
      // A folder is validated as the controller loads it: no inventory.yaml means the empty
      // inventory, so target groups other than all/ungrouped are errors. Single files only
      // get group names checked against an inventory file passed alongside.
      const folders = await Promise.all(
        paths.map((p) =>
          stat(p).then(
            (st) => st.isDirectory(),
            () => false,
          ),
        ),
      );
      const result = await loadPolicies(paths, { strictGroups: folders.some(Boolean) });
      const report = validateReport(result);
      if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else {
        for (const e of result.errors) process.stderr.write(formatIssue(e) + "\n");
        if (report.valid) {
          for (const o of report.overrides) process.stdout.write(`note: ${o}\n`);
          const inv = result.inventory.file
            ? `, inventory ${result.inventory.file} (${result.inventory.groups.size} groups)`
            : ", no inventory";
          const names = report.policies.map((p) => p.name).join(", ");
          process.stdout.write(
            `valid: ${report.policies.length} ${report.policies.length === 1 ? "policy" : "policies"}${names ? ` (${names})` : ""}${inv}\n`,
          );
        }
      }
      if (!report.valid) {
        const files = new Set(result.errors.map((e) => e.file)).size;
        throw new ValidationError(
          `policy validate: ${result.errors.length} ${result.errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}`,
        );
      }
    });
  registerPolicyPushCommand(policy);
}
