#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { describeError, VERSION } from "../common/index.js";
import { registerAdminCommands } from "./commands/admin.js";
import { registerAgentCommand } from "./commands/agent.js";
import { registerApplyCommand } from "./commands/apply.js";
import { registerCertCommands } from "./commands/cert.js";
import { registerTokenCommands } from "./commands/token.js";
import { useAdminDataDir } from "./admin-credentials.js";
import { registerAuditCommand } from "./commands/audit.js";
import { registerControllerCommand } from "./commands/controller.js";
import { registerComplianceCommand, registerDriftCommands } from "./commands/drift.js";
import { registerHostsCommands } from "./commands/hosts.js";
import { registerPlanCommand } from "./commands/plan.js";
import { registerPoliciesCommand } from "./commands/policies.js";
import { registerPolicyCommands } from "./commands/policy.js";
import { registerRolloutCommands } from "./commands/rollout.js";
import { exitCodeFor } from "./exit-codes.js";

function buildProgram(): Command {
  const program = new Command("virtfleet")
    .description("fleet configuration management for KVM hosts")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerControllerCommand(program);
  registerAgentCommand(program);
  registerHostsCommands(program);
  registerPoliciesCommand(program);
  registerPolicyCommands(program);
  registerPlanCommand(program);
  registerRolloutCommands(program);
  registerApplyCommand(program);
  registerDriftCommands(program);
  registerComplianceCommand(program);
  registerAuditCommand(program);
  registerAdminCommands(program);
  registerTokenCommands(program);
  registerCertCommands(program);
  addAdminCredentialOption(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/**
 * Every command that calls the admin API (it takes --controller; the agent's is another
 * thing) also takes --data: the controller's data folder holding the admin credential.
 */
function addAdminCredentialOption(cmd: Command): void {
  for (const c of cmd.commands) {
    addAdminCredentialOption(c);
    const longs = c.options.map((o) => o.long);
    if (c.name() === "agent" || !longs.includes("--controller") || longs.includes("--data")) continue;
    c.option("--data <dir>", "the controller's data folder with the admin credential (DIR/admin/*.pem; env VIRTFLEET_DATA)");
    c.hook("preAction", (self) => useAdminDataDir(self.opts<{ data?: string }>().data));
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeFor(err);
    process.stderr.write(`virtfleet: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv);
