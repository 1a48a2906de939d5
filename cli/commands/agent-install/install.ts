import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DEFAULT_BACKOFF } from "../../../common/backoff.js";
import { describeError, OptionError } from "../../../common/errors.js";
import { formatHostPortList } from "../../../common/address.js";
import { createLogger } from "../../../common/logging.js";
import { parseEnrolToken } from "../../../common/pki/index.js";
import { DEFAULT_AGENT_STATE_DIR } from "../../../agent/index.js";
import { EnrolmentError, obtainCredentials, tlsDir } from "../../../agent/enroll/index.js";
import { inHostOrder } from "../../../agent/link/index.js";
import { agentToken } from "../../agent-token.js";
import { InstallRefusedError, SystemdError } from "./errors.js";
import {
  AGENT_CONFIG_PATH,
  AGENT_UNIT_NAME,
  agentConfigFile,
  agentUnitFile,
  fileState,
  rooted,
  runningCli,
  writePlanned,
  type FileOutcome,
} from "./files.js";
import type { AgentInstallFlags } from "./flags.js";
import { systemctl, systemdUnavailable } from "./systemd.js";

/** How long the install waits for an unreachable controller before giving up. */
const ENROL_WAIT_MS = 60_000;

/**
 * `virtfleet agent install`. Order, so that a refusal changes nothing: check what can be
 * checked (--root with start, systemd present, the token file, existing files that differ),
 * then enrol (skipped when the state folder already holds a usable certificate for this name
 * and this controller's CA), then write the config and the unit, then systemctl. Idempotent:
 * a second run with the same inputs writes nothing, does not enrol and says "nothing changed".
 * The token is read from its file and sent to the controller, nowhere else (not in the config,
 * the unit, argv or the output).
 */
export async function installAgent(flags: AgentInstallFlags): Promise<void> {
  const root = resolve(flags.root);
  if (flags.start && root !== "/")
    throw new OptionError(
      "--root",
      `${root} is not this host's root and systemctl acts on this host: add --no-start (then start the service on the system that boots from ${root})`,
    );
  if (flags.start) {
    const why = systemdUnavailable();
    if (why)
      throw new SystemdError(
        `cannot start the agent: ${why}. Nothing was changed. Re-run with --no-start to write the files and enrol, then run \`virtfleet agent --config ${AGENT_CONFIG_PATH}\` under your service manager`,
      );
  }
  const token = agentToken({ tokenFile: flags.tokenFile });
  if (!token) throw new OptionError("--token-file", "required");
  try {
    parseEnrolToken(token.token);
  } catch (err) {
    throw new OptionError("--token-file", `${flags.tokenFile}: ${describeError(err)}`);
  }

  const stateDir = DEFAULT_AGENT_STATE_DIR;
  const files = [
    agentConfigFile(root, { controller: flags.controller, name: flags.name, stateDir }),
    agentUnitFile(root, runningCli()),
  ];
  const differing = files.filter((f) => fileState(f) === "different");
  if (differing.length > 0 && !flags.force)
    throw new InstallRefusedError(
      `${differing.map((f) => f.path).join(" and ")} already ${differing.length > 1 ? "exist and differ" : "exists and differs"} from what this install writes; nothing was changed. Compare, then re-run with --force to replace ${differing.length > 1 ? "them" : "it"} (settings of your own belong in a drop-in: systemctl edit ${AGENT_UNIT_NAME})`,
    );

  const where = formatHostPortList(flags.controller);
  const out: string[] = [
    `virtfleet agent install: host ${flags.name}, controller${flags.controller.length > 1 ? "s" : ""} ${where}`,
  ];
  const rootedState = rooted(root, stateDir);
  // /var/lib/virtfleet as systemd's StateDirectory= makes it (0755); the agent's folder below is 0700
  mkdirSync(dirname(rootedState), { recursive: true, mode: 0o755 });
  let enrolled: boolean;
  try {
    const got = await obtainCredentials({
      controllers: inHostOrder(flags.controller, flags.name),
      host: flags.name,
      stateDir: rootedState,
      token: token.token,
      backoff: DEFAULT_BACKOFF,
      log: createLogger("agent-install", process.env.VIRTFLEET_LOG_LEVEL ?? "warn"),
      signal: AbortSignal.timeout(ENROL_WAIT_MS),
    });
    enrolled = got.enrolled;
    out.push(
      `  ${enrolled ? "enrolled:" : "already enrolled:"} certificate in ${tlsDir(rootedState)} (serial ${got.credentials.serial}, valid until ${new Date(got.credentials.notAfter).toISOString()})`,
    );
  } catch (err) {
    if (err instanceof EnrolmentError && !err.permanent)
      throw new EnrolmentError(
        `could not enrol with the controller at ${where} within ${ENROL_WAIT_MS / 1000} s: ${describeError(err)}; no file was written`,
        false,
        { cause: err },
      );
    throw err;
  }

  const outcomes: FileOutcome[] = [];
  for (const f of files) {
    const outcome = writePlanned(f);
    outcomes.push(outcome);
    out.push(`  ${outcome}: ${f.path} (${f.mode.toString(8).padStart(4, "0")})`);
  }
  const changed = enrolled || outcomes.some((o) => o !== "unchanged");
  const unitChanged = outcomes[1] === "written";

  if (!flags.start) {
    out.push("  not started (--no-start)");
  } else if (changed) {
    // a running agent must pick up a new config or unit: restart (starts it when stopped)
    if (unitChanged) await systemctl(["daemon-reload"]);
    await systemctl(["enable", AGENT_UNIT_NAME]);
    await systemctl(["restart", AGENT_UNIT_NAME]);
    out.push(`  started: systemctl enable ${AGENT_UNIT_NAME} && systemctl restart ${AGENT_UNIT_NAME}`);
  } else {
    await systemctl(["enable", "--now", AGENT_UNIT_NAME]);
    out.push(`  running: systemctl enable --now ${AGENT_UNIT_NAME}`);
  }
  out.push(changed ? "done" : "nothing changed");
  process.stdout.write(`${out.join("\n")}\n`);
}
