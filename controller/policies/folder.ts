import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { MAX_POLICY_FILE_BYTES, type PolicyIssue, type PolicySource } from "../../common/index.js";
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
    throw new PoliciesDirError(dir, `policies folder ${dir} does not exist or cannot be read (create it or pass --policies DIR)`, { cause: err });
  }
  if (!isDir) throw new PoliciesDirError(dir, `policies folder ${dir} is not a folder (pass --policies DIR)`);
}

/**
 * Reads the folder's policy files (not recursive) in sorted order. Files that cannot be read
 * or are larger than MAX_POLICY_FILE_BYTES become issues; so does an unreadable folder.
 */
export async function readPolicyFolder(dir: string): Promise<{ sources: PolicySource[]; errors: PolicyIssue[] }> {
  const sources: PolicySource[] = [];
  const errors: PolicyIssue[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isPolicyFileName).sort();
  } catch (err) {
    return { sources, errors: [{ file: dir, line: 0, col: 0, path: "", message: `cannot read the policies folder: ${(err as Error).message}` }] };
  }
  for (const name of names) {
    const file = join(dir, name);
    try {
      const st = await stat(file);
      if (!st.isFile()) continue;
      if (st.size > MAX_POLICY_FILE_BYTES) throw new Error(`larger than ${MAX_POLICY_FILE_BYTES} bytes`);
      sources.push({ file, text: await readFile(file, "utf8") });
    } catch (err) {
      // A file deleted between readdir and read is simply gone.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      errors.push({ file, line: 0, col: 0, path: "", message: `cannot read: ${(err as Error).message}` });
    }
  }
  return { sources, errors };
}
