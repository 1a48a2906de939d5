import { chmodSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { formatHostPortList, type HostPort } from "../../../common/address.js";
import { findUp } from "../../../common/paths.js";

/** Where the install puts things on the target system (under --root when given). */
export const AGENT_CONFIG_PATH = "/etc/virtfleet/agent.yaml";
export const AGENT_UNIT_NAME = "virtfleet-agent.service";
export const AGENT_UNIT_PATH = `/etc/systemd/system/${AGENT_UNIT_NAME}`;

/** A file the install owns: its content, its mode, and when an existing file counts as the same. */
export interface PlannedFile {
  /** The path on the target system (what the unit and the config refer to). */
  target: string;
  /** The path written (target under the install root). */
  path: string;
  content: string;
  mode: number;
  same: (existing: string) => boolean;
}

export type FileOutcome = "written" | "unchanged" | "mode fixed";

export function rooted(root: string, target: string): string {
  return join(root, target);
}

/**
 * /etc/virtfleet/agent.yaml: the `virtfleet agent` options as keys (long names without `--`),
 * 0600; `controller` keeps every replica given (`a:7443,b:7443`). No token: the install spends it on the enrolment, the agent then uses its certificate.
 * An existing file is the same when it holds the same keys and values (comments, order and
 * quoting aside).
 */
export function agentConfigFile(
  root: string,
  o: { controller: readonly HostPort[]; name: string; stateDir: string },
): PlannedFile {
  const values: Record<string, string> = {
    controller: formatHostPortList(o.controller),
    name: o.name,
    "state-dir": o.stateDir,
  };
  const content = `# written by \`virtfleet agent install\`; options given to \`virtfleet agent\` override these keys\n${stringify(values)}`;
  return {
    target: AGENT_CONFIG_PATH,
    path: rooted(root, AGENT_CONFIG_PATH),
    content,
    mode: 0o600,
    same: (existing) => {
      try {
        return sameMapping(parse(existing) as unknown, values);
      } catch {
        return false;
      }
    },
  };
}

function sameMapping(found: unknown, want: Record<string, string>): boolean {
  if (found === null || typeof found !== "object" || Array.isArray(found)) return false;
  const entries = Object.entries(found as Record<string, unknown>);
  return entries.length === Object.keys(want).length && entries.every(([k, v]) => String(v) === want[k]);
}

/**
 * The agent's unit: packaging/systemd/virtfleet-agent.service as shipped, with ExecStart's
 * `virtfleet` replaced by this very installation (node's absolute path and the CLI's real path),
 * so the unit needs no PATH and runs the version that installed it. 0644. Same = same text.
 */
export function agentUnitFile(root: string, cli: { node: string; script: string }): PlannedFile {
  const template = readFileSync(findUp(join("packaging", "systemd", AGENT_UNIT_NAME)), "utf8");
  const exec = /^ExecStart=virtfleet /m;
  if (!exec.test(template)) throw new Error(`the shipped ${AGENT_UNIT_NAME} has no "ExecStart=virtfleet " line`);
  const content = template.replace(exec, `ExecStart=${systemdArg(cli.node)} ${systemdArg(cli.script)} `);
  return {
    target: AGENT_UNIT_PATH,
    path: rooted(root, AGENT_UNIT_PATH),
    content,
    mode: 0o644,
    same: (existing) => existing === content,
  };
}

/** The running CLI: node and the script it runs, symlinks resolved (npm's bin link → the package). */
export function runningCli(): { node: string; script: string } {
  const script = process.argv[1];
  if (!script) throw new Error("cannot tell which script runs this process (process.argv[1] is empty)");
  return { node: process.execPath, script: realpathSync(script) };
}

/** One ExecStart word: quoted when needed; `%` and `$` escaped (systemd expands both). */
export function systemdArg(word: string): string {
  const escaped = word.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  return /^[\w@%+=:,./$-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** What is on disk now: absent, the same as planned, or different. */
export function fileState(f: PlannedFile): "absent" | "same" | "different" {
  let existing: string;
  try {
    existing = readFileSync(f.path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw err;
  }
  return f.same(existing) ? "same" : "different";
}

/**
 * Writes `f` unless the same content is there (then only its mode is corrected). Atomic: a temp
 * file with the final mode, renamed over the target. Missing folders are made 0755 (what
 * systemd's ConfigurationDirectory= makes).
 */
export function writePlanned(f: PlannedFile): FileOutcome {
  if (fileState(f) === "same") {
    if ((statSync(f.path).mode & 0o777) === f.mode) return "unchanged";
    chmodSync(f.path, f.mode);
    return "mode fixed";
  }
  mkdirSync(dirname(f.path), { recursive: true, mode: 0o755 });
  const tmp = `${f.path}.${process.pid}.tmp`;
  writeFileSync(tmp, f.content, { mode: f.mode });
  chmodSync(tmp, f.mode);
  renameSync(tmp, f.path);
  return "written";
}
