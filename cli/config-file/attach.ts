import type { Command, ParseOptionsResult } from "commander";
import { existsSync } from "node:fs";

/** What `useConfigFile` needs to know about a command's configuration file. */
export interface ConfigFileUse {
  /** Read when --config is not given, if it exists (e.g. /etc/virtfleet/controller.yaml). */
  defaultPath: string;
  /**
   * The command whose options the file's keys name (default: the command itself). A
   * subcommand that shares its parent's file (`controller backup` reads controller.yaml for
   * `data`) validates every key against the parent and takes only the options it has too.
   */
  keysOf?: Command;
}

type Loader = typeof import("./load.js");

/**
 * Gives `cmd` (already added to its parent) a `--config FILE` option. When its own action is
 * about to run (not when it dispatches to a subcommand, shows help or reports an unknown
 * option), the file (--config, else `defaultPath` if that exists) sets every option the
 * command line did not give: command line > file > default. The accepted keys are the
 * command's long options at that moment, so options added later need nothing here. An
 * invalid file throws ConfigFileError (exit 2) before anything runs. Options of the parent's
 * that the command also has and that the parent took from the command line count as the
 * command's own (inheritFromParent).
 *
 * How: the values are set right after commander has parsed the command's own options and
 * before it checks required options (a required `--controller` may come from the file), by
 * wrapping `cmd.parseOptions`. That step is synchronous, so the YAML parser (load.ts) is
 * imported beforehand, by the parent's preSubcommand hook, and only when a file may be in use:
 * a command started without one does not load it.
 */
export function useConfigFile(cmd: Command, use: ConfigFileUse): Command {
  const parent = cmd.parent;
  if (!parent) throw new Error(`useConfigFile: add the command ${cmd.name()} to its parent first`);
  cmd.option(
    "--config <file>",
    `read options from this YAML file (default: ${use.defaultPath} if it exists): keys are the long option names without --, values as on the command line; options given here override it`,
  );
  let loader: Loader | undefined;
  parent.hook("preSubcommand", async (_parent, sub) => {
    if (sub !== cmd || loader) return;
    const named =
      parent.args.some((a) => a === "--config" || a.startsWith("--config=")) ||
      parent.getOptionValueSource("config") === "cli"; // taken by the parent (inheritFromParent)
    if (named || existsSync(use.defaultPath)) loader = await import("./load.js");
  });
  const parseOwnOptions = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]): ParseOptionsResult => {
    const parsed = parseOwnOptions(argv);
    const first = operandsFromParent(cmd)[0] ?? parsed.operands[0];
    const dispatching =
      first !== undefined && cmd.commands.some((c) => c.name() === first || c.aliases().includes(first));
    if (dispatching || parsed.unknown.length > 0) return parsed;
    inheritFromParent(cmd);
    const named = cmd.getOptionValue("config") as string | undefined;
    const file = named ?? (existsSync(use.defaultPath) ? use.defaultPath : undefined);
    if (file === undefined) return parsed;
    if (!loader)
      throw new Error(
        "useConfigFile: the configuration loader was not imported (is the parent's preSubcommand hook bypassed?)",
      );
    applySettings(cmd, loader.loadConfigFile(file, (use.keysOf ?? cmd).options));
    return parsed;
  };
  return cmd;
}

/**
 * The operands the parent passed on with the command's name (commander splits them off before
 * the command parses its options, unless the parent parses positionally): the arguments after
 * the name up to the first option.
 */
function operandsFromParent(cmd: Command): string[] {
  const args = cmd.parent?.args ?? [];
  if (args[0] !== cmd.name() && !cmd.aliases().includes(args[0] ?? "")) return [];
  const end = args.findIndex((a, i) => i > 0 && a.startsWith("-"));
  return args.slice(1, end < 0 ? undefined : end);
}

/**
 * Options the parent also has and took from the command line: commander gives an option to
 * the first command that knows it, so in `virtfleet controller backup F --config C --data D`
 * `controller` takes --config and --data. They count as the command's own.
 */
function inheritFromParent(cmd: Command): void {
  const parent = cmd.parent;
  if (!parent) return;
  for (const o of cmd.options) {
    const name = o.attributeName();
    if (cmd.getOptionValueSource(name) === "cli") continue;
    const theirs = parent.options.find((p) => p.long === o.long);
    if (theirs && parent.getOptionValueSource(theirs.attributeName()) === "cli")
      cmd.setOptionValueWithSource(name, parent.getOptionValue(theirs.attributeName()), "cli");
  }
}

/** Sets what the file gives, except options the command line gave (source "cli"). */
function applySettings(cmd: Command, settings: ReturnType<Loader["loadConfigFile"]>): void {
  for (const s of settings) {
    const own = cmd.options.find((o) => o.long === s.option.long);
    if (!own) continue;
    const name = own.attributeName();
    if (cmd.getOptionValueSource(name) === "cli") continue;
    cmd.setOptionValueWithSource(name, s.value, "config");
  }
}
