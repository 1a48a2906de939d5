import type { PolicyIssue } from "../policy-primitives/issues.js";

/**
 * A policy or inventory file with no document at all (empty, whitespace, comments or bare
 * `---` only) is an error naming the file, never "no policies here": a truncated file
 * (`: > policies/x.yaml`, a failed copy, a full disk) must not read as "policy removed" and
 * drop the policy from every host. The load is rejected, so the previous revisions stay in
 * force. Removing a policy is deleting its file (a staged rollout); an inventory is optional
 * the same way (delete the file for none).
 */
export function emptyFileIssue(file: string, text: string, documentCount: number): PolicyIssue | null {
  if (documentCount > 0) return null;
  const what =
    text.length === 0
      ? "empty file"
      : text.trim() === ""
        ? "blank file (whitespace only)"
        : "no YAML document in the file (comments or `---` only)";
  return {
    file,
    line: 1,
    col: 1,
    path: "",
    message: `${what}; a truncated file is not a removal: the previous revisions stay in force (delete the file to remove what it declares)`,
  };
}
