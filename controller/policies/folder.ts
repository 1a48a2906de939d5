import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { PolicyReadBudget, type PolicyIssue, type PolicySource } from "../../common/index.js";
import { PoliciesDirError } from "./errors.js";

/**
 * Whether a file name in the policies folder is read as a policy or inventory file: `*.yaml`
 * / `*.yml`, not hidden. Editor leftovers (`.x.swp`, `x.yaml~`, `x.yaml.tmp`) are not.
 */
export function isPolicyFileName(name: string): boolean {
  const base = basename(name);
  return !base.startsWith(".") && /\.ya?ml$/.test(base);
}

/** Throws PoliciesDirError unless `dir` is an existing folder. */
export async function assertPoliciesDir(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    throw new PoliciesDirError(
      dir,
      `policies folder ${dir} does not exist or cannot be read (create it or pass --policies DIR)`,
      { cause: err },
    );
  }
  if (!isDir) throw new PoliciesDirError(dir, `policies folder ${dir} is not a folder (pass --policies DIR)`);
}

/**
 * Reads the folder's policy files (not recursive) in sorted order, within POLICY_LIMITS
 * (PolicyReadBudget: file count, bytes per file and in total, checked before any parsing).
 * Files that cannot be read or are over a limit become issues naming the file and the
 * limit; so does an unreadable folder. Sub-folders are skipped; a file deleted between
 * readdir and read is simply gone.
 */
export async function readPolicyFolder(dir: string): Promise<{ sources: PolicySource[]; errors: PolicyIssue[] }> {
  const sources: PolicySource[] = [];
  const errors: PolicyIssue[] = [];
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => !d.isDirectory() && isPolicyFileName(d.name))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    return {
      sources,
      errors: [
        { file: dir, line: 0, col: 0, path: "", message: `cannot read the policies folder: ${(err as Error).message}` },
      ],
    };
  }
  const budget = new PolicyReadBudget();
  const tooMany = budget.checkCount(names.length, dir);
  if (tooMany) return { sources, errors: [tooMany] };
  for (const name of names) {
    const file = join(dir, name);
    const read = await budget.read(file, dir);
    if (read === "skip") continue;
    if ("issue" in read) errors.push(read.issue);
    else sources.push({ file, text: read.text });
  }
  return { sources, errors };
}
