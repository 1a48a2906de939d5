import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, COMMAND_MODULES, commandModulesFor } from "../../../cli/program.js";

const argv = (...args: string[]) => ["node", "virtfleet", ...args];

/** Help of `path` (e.g. ["rollout", "status"]) in `program`. */
function helpOf(program: Command, path: readonly string[]): string {
  let cmd = program;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return cmd.helpInformation();
}

function paths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}

describe("cli program (commands loaded on demand)", { timeout: 60_000 }, () => {
  it("each module registers exactly the commands the table names", async () => {
    for (const m of COMMAND_MODULES) {
      const program = new Command("virtfleet");
      for (const register of await m.load()) register(program);
      expect(program.commands.map((c) => c.name())).toEqual(m.names);
    }
  });

  it("with no command, --help, help or a typo every command is registered, in the table's order", async () => {
    const all = COMMAND_MODULES.flatMap((m) => m.names);
    for (const args of [[], ["--help"], ["-V"], ["help", "agent"], ["nosuch"], ["Agent"]]) {
      expect(commandModulesFor(args)).toBe(COMMAND_MODULES);
    }
    expect((await buildProgram(argv())).commands.map((c) => c.name())).toEqual(all);
  });

  it("a named command loads only its module; `agent` loads nothing of the admin commands", async () => {
    expect((await buildProgram(argv("agent", "--controller", "x:1"))).commands.map((c) => c.name())).toEqual(["agent"]);
    expect((await buildProgram(argv("host", "h1"))).commands.map((c) => c.name())).toEqual(["hosts", "host"]);
    expect((await buildProgram(argv("compliance"))).commands.map((c) => c.name())).toEqual(["compliance"]);
  });

  it("every command's help (options, --data included) is the same as with all commands loaded", async () => {
    const full = await buildProgram(argv());
    for (const path of paths(full)) {
      const alone = await buildProgram(argv(path[0]!));
      expect(helpOf(alone, path), path.join(" ")).toBe(helpOf(full, path));
    }
  });
});
