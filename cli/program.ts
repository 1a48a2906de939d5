import { Command } from "commander";
import { VERSION } from "../common/version.js";
import { describeDefaults } from "./help-defaults.js";

type Register = (program: Command) => void;

/** One module of `cli/commands/`: the top-level commands it registers and how to load it. */
export interface CommandModule {
  readonly names: readonly string[];
  readonly load: () => Promise<readonly Register[]>;
  /** Its commands call the admin API (they take --controller and --data); false: local work only. */
  readonly adminApi: boolean;
}

/**
 * Every top-level command, in the order `virtfleet --help` lists them. Each module is imported
 * only when needed: `virtfleet agent` loads the agent command and nothing of the controller,
 * the other commands or the policy parser (the agent process stays small); `--help`, `help`,
 * no command or an unknown one load all of them, so usage and suggestions are unchanged.
 * test/unit/cli/program.test.ts checks `names` against what each module registers.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    names: ["controller"],
    load: async () => [(await import("./commands/controller.js")).registerControllerCommand],
    adminApi: true,
  },
  { names: ["agent"], load: async () => [(await import("./commands/agent.js")).registerAgentCommand], adminApi: false },
  {
    names: ["hosts", "host"],
    load: async () => [(await import("./commands/hosts.js")).registerHostsCommands],
    adminApi: true,
  },
  {
    names: ["policies"],
    load: async () => [(await import("./commands/policies.js")).registerPoliciesCommand],
    adminApi: true,
  },
  {
    names: ["policy"],
    load: async () => [(await import("./commands/policy.js")).registerPolicyCommands],
    adminApi: true,
  },
  { names: ["plan"], load: async () => [(await import("./commands/plan.js")).registerPlanCommand], adminApi: true },
  {
    names: ["rollout"],
    load: async () => [(await import("./commands/rollout.js")).registerRolloutCommands],
    adminApi: true,
  },
  { names: ["apply"], load: async () => [(await import("./commands/apply.js")).registerApplyCommand], adminApi: false },
  {
    names: ["resync"],
    load: async () => [(await import("./commands/resync.js")).registerResyncCommand],
    adminApi: true,
  },
  { names: ["drift"], load: async () => [(await import("./commands/drift.js")).registerDriftCommands], adminApi: true },
  {
    names: ["compliance"],
    load: async () => [(await import("./commands/drift.js")).registerComplianceCommand],
    adminApi: true,
  },
  { names: ["audit"], load: async () => [(await import("./commands/audit.js")).registerAuditCommand], adminApi: true },
  { names: ["admin"], load: async () => [(await import("./commands/admin.js")).registerAdminCommands], adminApi: true },
  { names: ["token"], load: async () => [(await import("./commands/token.js")).registerTokenCommands], adminApi: true },
  { names: ["cert"], load: async () => [(await import("./commands/cert.js")).registerCertCommands], adminApi: true },
  { names: ["web"], load: async () => [(await import("./commands/web.js")).registerWebCommands], adminApi: true },
];

/**
 * The modules `virtfleet ARGS…` needs: when the first argument names a command (commander
 * dispatches on it: the root takes no option with a value), only that command's module;
 * otherwise (options such as --help/--version, `help`, nothing, a typo) all of them.
 */
export function commandModulesFor(args: readonly string[]): readonly CommandModule[] {
  const first = args[0];
  const one = first === undefined ? undefined : COMMAND_MODULES.find((m) => m.names.includes(first));
  return one ? [one] : COMMAND_MODULES;
}

/** The `virtfleet` program for `argv` (as process.argv: node, script, args…), with the commands it needs. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const modules = commandModulesFor(argv.slice(2));
  const adminCommands = modules.some((m) => m.adminApi);
  const [registers, credentials] = await Promise.all([
    Promise.all(modules.map((m) => m.load())),
    // the admin credential plumbing loads gRPC and the controller's constants: not for the agent or apply --local
    adminCommands ? import("./admin-credentials.js") : undefined,
  ]);
  const program = new Command("virtfleet")
    .description("fleet configuration management for KVM hosts")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    // the root's options (--version, --help) come before the command, and everything after the
    // command reaches it in order (commander needs this on the root for `agent install
    // --controller X` to be install's option: the agent parses positionally too)
    .enablePositionalOptions()
    .exitOverride();
  for (const register of registers.flat()) register(program);
  // …but only the agent: elsewhere a parent's options are read after its subcommand too
  // (`host remove X --controller A` is host's --controller), as before.
  for (const c of program.commands) if (c.name() !== "agent") readOptionsAnywhere(c);
  if (credentials) addAdminCredentialOption(program, credentials.useAdminDataDir);
  program.commands.forEach((c) => c.exitOverride());
  describeDefaults(program);
  return program;
}

/**
 * Every command that calls the admin API (it takes --controller; the agent's is another
 * thing) also takes --data: the controller's data folder holding the admin credential.
 */
function addAdminCredentialOption(cmd: Command, useAdminDataDir: (dir: string | undefined) => void): void {
  for (const c of cmd.commands) {
    if (c.name() === "agent") continue; // its --controller (and agent install's) is another thing
    addAdminCredentialOption(c, useAdminDataDir);
    const longs = c.options.map((o) => o.long);
    if (!longs.includes("--controller") || longs.includes("--data")) continue;
    c.option(
      "--data <dir>",
      "the controller's data folder with the admin credential (DIR/admin/*.pem; env VIRTFLEET_DATA)",
    );
    c.hook("preAction", (self) => useAdminDataDir(self.opts<{ data?: string }>().data));
  }
}

/** Turns off positional option parsing (inherited from the root) for `cmd` and its subcommands. */
function readOptionsAnywhere(cmd: Command): void {
  cmd.enablePositionalOptions(false);
  for (const c of cmd.commands) readOptionsAnywhere(c);
}
