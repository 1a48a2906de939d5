import type { Command } from "commander";
import { defaultAgentName } from "../../../agent/index.js";
import { OptionError } from "../../../common/errors.js";
import { agentControllers, hostPortListArg } from "../../option-parsers.js";
import type { AgentInstallFlags } from "./flags.js";

/**
 * Adds `install` under the `agent` command `program` already holds. `agent` then takes its own
 * options before a subcommand only (positional options), so `agent install --controller X` is
 * install's --controller. The work is imported when the command runs: `virtfleet agent` (the
 * long-running agent) loads none of it.
 */
export function registerAgentInstallCommand(program: Command): void {
  const agent = program.commands.find((c) => c.name() === "agent");
  if (!agent) throw new Error("registerAgentInstallCommand: register the agent command first");
  agent.enablePositionalOptions(); // and the program (cli/program.ts): positional options all the way down
  agent
    .command("install")
    .description(
      "install the agent as a systemd service on this host: write /etc/virtfleet/agent.yaml and the unit, enrol with the controller, enable and start virtfleet-agent",
    )
    .option(
      "--controller <host:port[,host:port…]>",
      "the controller's agent endpoint, or several replicas as a:7443,b:7443 (the config keeps the list; required, or env VIRTFLEET_CONTROLLER)",
      hostPortListArg,
    )
    .requiredOption(
      "--token-file <file>",
      "file holding the enrolment token from 'virtfleet token create' (read, never copied: spent by the enrolment)",
    )
    .option("--name <name>", "this host's name in the fleet", defaultAgentName())
    .option("--root <dir>", "install into this folder instead of / (an image or a test; needs --no-start)", "/")
    .option("--no-start", "write the files and enrol, but do not run systemctl")
    .option("--force", "replace an existing agent.yaml or unit that differs from what this install writes")
    .action(async (flags: Omit<AgentInstallFlags, "controller"> & { controller?: AgentInstallFlags["controller"] }) => {
      const controller = agentControllers(flags.controller);
      if (!controller)
        throw new OptionError("--controller", "required: the controller's agent endpoint (or VIRTFLEET_CONTROLLER)");
      const { installAgent } = await import("./install.js");
      await installAgent({ ...flags, controller });
    });
}
