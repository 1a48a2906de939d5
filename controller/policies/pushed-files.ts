import { PolicyReadBudget, type PolicyIssue, type PolicySource } from "../../common/index.js";
import { isPolicyFileName } from "./folder.js";

/** One file of a pushed folder: its name in the folder and its text. */
export interface PushedFile {
  name: string;
  text: string;
}

/**
 * The policy sources of a `policy push`, checked as readPolicyFolder checks a folder's files:
 * the same names count (`*.yaml`/`*.yml`, not hidden; a name is a plain file name, no path),
 * the same POLICY_LIMITS (file count, bytes per file and in total) before any parsing. Each
 * problem is an issue on that file (relative to the pushed folder); a name given twice too.
 * Sources are sorted by name, as a folder is read.
 */
export function pushedSources(files: readonly PushedFile[]): { sources: PolicySource[]; errors: PolicyIssue[] } {
  const sources: PolicySource[] = [];
  const errors: PolicyIssue[] = [];
  const budget = new PolicyReadBudget();
  const tooMany = budget.checkCount(files.length, ".");
  if (tooMany) return { sources, errors: [tooMany] };
  const seen = new Set<string>();
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const at = (message: string): PolicyIssue => ({ file: f.name || "(no name)", line: 1, col: 1, path: "", message });
    if (f.name === "" || /[/\\\0]/.test(f.name) || f.name === "." || f.name === "..") {
      errors.push(at("not a plain file name; push the files of one folder (no sub-folders)"));
      continue;
    }
    if (!isPolicyFileName(f.name)) {
      errors.push(at("not a policy file name (*.yaml or *.yml, not hidden)"));
      continue;
    }
    if (seen.has(f.name)) {
      errors.push(at("given twice"));
      continue;
    }
    seen.add(f.name);
    const over = budget.admit(f.name, Buffer.byteLength(f.text));
    if (over) errors.push(over);
    else sources.push({ file: f.name, text: f.text });
  }
  return { sources, errors };
}
