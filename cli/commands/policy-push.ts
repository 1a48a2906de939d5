import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Command } from "commander";
import type { PushPoliciesResponse__Output } from "../../generated/proto/fleet/v1/PushPoliciesResponse.js";
import type { HostPort } from "../../common/address.js";
import { ValidationError } from "../../common/errors.js";
import { MAX_MESSAGE_BYTES } from "../../common/grpc/limits.js";
import { formatIssue, type PolicyIssue } from "../../common/index.js";
import { DEFAULT_LISTEN } from "../../controller/defaults.js";
import { readPolicyFolder } from "../../controller/policies/folder.js";
import { AdminClient } from "../admin-client.js";
import { controllerAddresses, insecureFlag } from "../option-parsers.js";
import { adminOptions } from "./hosts.js";

interface PushFlags {
  controller?: HostPort[];
  insecure?: boolean;
  json?: boolean;
}

/** Room left in one gRPC message for the request's framing besides the files' text. */
const FRAMING_BYTES = 64 * 1024;

/** The `policy push --json` document. */
export interface PushReport {
  accepted: boolean;
  created: { policy: string; revision: string; generation: number }[];
  removed: string[];
  inventoryChanged: boolean;
  errors: PolicyIssue[];
}

/**
 * `virtfleet policy push DIR [--json]`: reads DIR as the controller reads its policies folder
 * (the same files and limits) and has the leader validate and store it as the revisions in
 * force (the controller must run without a policies folder). A follower names the leader: the
 * push is made there once more. Exit 2: DIR missing, over a limit, or invalid (every error as
 * `DIR/file:line:col: path: message`; nothing stored, the previous revisions stay in force);
 * 4: refused (the controller watches a folder, the caller's role).
 */
export function registerPolicyPushCommand(policy: Command): void {
  adminOptions(
    policy
      .command("push")
      .description(
        "store DIR's policies (and inventory.yaml) as revisions in the controller: no shared folder needed (controllers run with --no-policies-folder)",
      )
      .argument("<dir>", "the policies folder to push (*.yaml, *.yml; inventory.yaml is the inventory)"),
  ).action(async (dir: string, flags: PushFlags) => {
    const isDir = await stat(dir).then(
      (st) => st.isDirectory(),
      () => false,
    );
    if (!isDir) throw new ValidationError(`policy push: ${dir} is not a folder`);
    const read = await readPolicyFolder(dir);
    if (read.errors.length > 0) return rejected(read.errors, flags, "nothing was sent");
    const files = read.sources.map((s) => ({ name: basename(s.file), text: s.text }));
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text) + Buffer.byteLength(f.name), 0);
    if (bytes > MAX_MESSAGE_BYTES - FRAMING_BYTES)
      throw new ValidationError(
        `policy push: ${dir} holds ${bytes} bytes of policy files; one push carries at most ${MAX_MESSAGE_BYTES - FRAMING_BYTES} (merge or shorten files, or run the controller on a policies folder)`,
      );
    const res = await pushWithRedirect(controllerAddresses(flags.controller, DEFAULT_LISTEN), flags, files);
    if (!res.accepted)
      return rejected(
        res.errors.map((e) => ({ ...e, file: join(dir, e.file) })),
        flags,
        "nothing stored; the previous revisions stay in force",
      );
    const report: PushReport = {
      accepted: true,
      created: res.created.map((c) => ({ policy: c.policy, revision: c.revision, generation: c.generation })),
      removed: res.removed,
      inventoryChanged: res.inventoryChanged,
      errors: [],
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    for (const c of report.created)
      process.stdout.write(`created ${c.policy} revision ${c.revision} (generation ${c.generation})\n`);
    for (const p of report.removed) process.stdout.write(`removed ${p}\n`);
    if (report.inventoryChanged) process.stdout.write("inventory changed\n");
    if (report.created.length === 0 && report.removed.length === 0 && !report.inventoryChanged)
      process.stdout.write("no change: the revisions in force are these\n");
  });
}

/** The push on the addresses given (a follower's answer naming the leader: once more there, AdminClient). */
async function pushWithRedirect(
  addresses: HostPort[],
  flags: PushFlags,
  files: { name: string; text: string }[],
): Promise<PushPoliciesResponse__Output> {
  const client = new AdminClient(addresses, insecureFlag(flags.insecure));
  try {
    return await client.pushPolicies(files);
  } finally {
    client.close();
  }
}

function rejected(errors: PolicyIssue[], flags: PushFlags, outcome: string): never {
  if (flags.json) {
    const report: PushReport = { accepted: false, created: [], removed: [], inventoryChanged: false, errors };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else for (const e of errors) process.stderr.write(`${formatIssue(e)}\n`);
  const files = new Set(errors.map((e) => e.file)).size;
  throw new ValidationError(
    `policy push: ${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}; ${outcome}`,
  );
}
