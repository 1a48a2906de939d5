import { Command, CommanderError } from "commander";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerAgentCommand } from "../../../cli/commands/agent.js";
import { registerControllerCommand } from "../../../cli/commands/controller.js";
import { useConfigFile } from "../../../cli/config-file/index.js";
import { ConfigFileError } from "../../../cli/config-file/load.js";
import { editDistance, nearestName } from "../../../cli/config-file/nearest.js";
import { exitCodeFor } from "../../../cli/exit-codes.js";
import { describeError } from "../../../common/errors.js";
import { ControllerStore } from "../../../controller/database/index.js";

const dir = mkdtempSync(join(tmpdir(), "vf-config-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes `text` to a new file in the test folder (mode 0644 unless told). */
function file(text: string, mode = 0o644): string {
  const f = join(dir, `c${n++}.yaml`);
  writeFileSync(f, text);
  chmodSync(f, mode);
  return f;
}

type Flags = Record<string, unknown>;

/**
 * Parses `virtfleet NAME ARGS…` with the real command `register` adds, its action replaced by
 * one that records the options it would have run with. Returns them, or the error as main.ts
 * reports it (message and exit code).
 */
async function run(
  register: (p: Command) => void,
  name: string,
  args: string[],
): Promise<{ flags?: Flags; sources?: Record<string, string | undefined>; error?: string; code?: number }> {
  const program = new Command("virtfleet").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  const cmd = program.commands.find((c) => c.name() === name)!;
  cmd.exitOverride();
  let flags: Flags | undefined;
  cmd.action((f: Flags) => {
    flags = f;
  });
  try {
    await program.parseAsync(["node", "virtfleet", name, ...args]);
  } catch (err) {
    return { error: err instanceof CommanderError ? err.message : describeError(err), code: exitCodeFor(err) };
  }
  if (!flags) return {}; // a subcommand ran
  const sources = Object.fromEntries(Object.keys(flags).map((k) => [k, cmd.getOptionValueSource(k)]));
  return { flags, sources };
}

const controller = (args: string[]) => run(registerControllerCommand, "controller", args);
const agent = (args: string[]) => run(registerAgentCommand, "agent", args);

describe("configuration files (virtfleet controller / agent --config FILE)", () => {
  it("sets options from the file; flags on the command line override it; lists replace, not append", async () => {
    const f = file(
      [
        "# the controller of the lab",
        "listen: 127.0.0.1:7999",
        "data: /var/lib/virtfleet-test",
        "insecure: true",
        "heartbeat-interval: 7s",
        "max-connections: 321",
        "san:",
        "  - ctl.example",
        "  - 10.0.0.1",
        "",
      ].join("\n"),
    );
    const fromFile = await controller(["--config", f]);
    expect(fromFile.error).toBeUndefined();
    expect(fromFile.flags).toMatchObject({
      listen: { host: "127.0.0.1", port: 7999 },
      data: "/var/lib/virtfleet-test",
      insecure: true,
      heartbeatInterval: 7000,
      maxConnections: 321,
      san: ["ctl.example", "10.0.0.1"],
    });
    expect(fromFile.sources).toMatchObject({ listen: "config", data: "config", policies: "default" });

    // flags before and after --config win over the file
    const over = await controller(["--listen", "127.0.0.1:8001", "--config", f, "--san", "other.example"]);
    expect(over.flags).toMatchObject({
      listen: { host: "127.0.0.1", port: 8001 },
      data: "/var/lib/virtfleet-test",
      san: ["other.example"],
    });
    expect(over.sources).toMatchObject({ listen: "cli", san: "cli", data: "config" });
  });

  it("a required option (the agent's --controller) may come from the file", async () => {
    const tokenFile = file("t0k3n\n", 0o600);
    const f = file(`controller: ctl.example:7443\nname: h1\ntoken-file: ${tokenFile}\nflap-threshold: 4\n`);
    const r = await agent(["--config", f]);
    expect(r.error).toBeUndefined();
    expect(r.flags).toMatchObject({
      controller: [{ host: "ctl.example", port: 7443 }],
      name: "h1",
      tokenFile,
      flapThreshold: 4,
    });
    expect((await agent(["--config", f, "--name", "h2"])).flags).toMatchObject({ name: "h2" });
    // several replicas: the same comma-separated list as on the command line, checked alike
    const replicas = await agent(["--config", file("controller: a.example:7443, b.example:7443\nname: h1\n")]);
    expect(replicas.flags?.controller).toEqual([
      { host: "a.example", port: 7443 },
      { host: "b.example", port: 7443 },
    ]);
    const twice = file("controller: a.example:7443,a.example:7443\n");
    expect((await agent(["--config", twice])).error).toMatch(/controller.*a\.example:7443 is given twice/);
    // Neither file nor flag: parsing leaves it unset and the agent's action refuses it (exit 2,
    // naming --controller: test/e2e/cli-errors.test.ts); commander's requiredOption is not used
    // because it would also bind `agent install`.
    const none = await agent(["--config", file("name: h1\n")]);
    expect(none.error).toBeUndefined();
    expect(none.flags?.controller).toBeUndefined();
  });

  it("an empty file (or only comments) sets nothing", async () => {
    const r = await controller(["--config", file("# nothing yet\n")]);
    expect(r.error).toBeUndefined();
    expect(r.sources).toMatchObject({ listen: "default", data: "default" });
  });

  it("an unknown key: file:line:col of the key, the nearest option name, exit 2", async () => {
    const f = file("listen: 127.0.0.1:7443\n  # comment\nlisen: 1\nheartbeatInterval: 5s\nwhatever: 1\n");
    const r = await controller(["--config", f]);
    expect(r.code).toBe(2);
    expect(r.error!.split("\n")).toEqual([
      `${f}:3:1: lisen: unknown option; did you mean \`listen\`?`,
      `${f}:4:1: heartbeatInterval: unknown option; did you mean \`heartbeat-interval\`?`,
      `${f}:5:1: whatever: unknown option: the keys are the command's long options without \`--\` (see --help)`,
    ]);
  });

  it("wrong types and values the option's parser refuses, at the value's position", async () => {
    const f = file(
      [
        "listen: nohost",
        "insecure: yes",
        "data:",
        "  nested: 1",
        "heartbeat-interval: soon",
        "max-connections: [1, 2]",
        "san: [ok.example, {a: 1}]",
        "policies:",
        "",
      ].join("\n"),
    );
    const r = await controller(["--config", f]);
    expect(r.code).toBe(2);
    const lines = r.error!.split("\n");
    expect(lines[0]).toBe(`${f}:1:9: listen: invalid value: address: "nohost" is not HOST:PORT (e.g. 127.0.0.1:7443)`);
    expect(lines[1]).toBe(`${f}:2:11: insecure: expected true or false, not a string`);
    expect(lines[2]).toBe(`${f}:4:3: data: expected <dir> (a string or a number), not a mapping`);
    expect(lines[3]).toMatch(new RegExp(`^${f}:5:21: heartbeat-interval: invalid value: `));
    expect(lines[4]).toBe(`${f}:6:18: max-connections: takes one value <n>, not a list`);
    expect(lines[5]).toBe(`${f}:7:19: san: expected <name> (a string or a number), not a mapping`);
    expect(lines[6]).toMatch(
      new RegExp(`^${f}:8:\\d+: policies: expected <dir> \\(a string or a number\\), not an empty value$`),
    );
    expect(lines).toHaveLength(7);
  });

  it("refuses an inline secret where the command has a file option, pointing to it", async () => {
    const f = file("controller: ctl.example:7443\ntoken: s3cr3t-token-value\n");
    const r = await agent(["--config", f]);
    expect(r.code).toBe(2);
    expect(r.error).toBe(
      `${f}:2:1: token: secrets are not accepted in a configuration file: write the value to a file only the service can read (mode 0600) and name it with \`token-file\``,
    );
    expect(r.error).not.toContain("s3cr3t");
  });

  it("refuses a world-writable file, YAML syntax errors, several documents, a non-mapping, a `config` key, a missing file", async () => {
    const ww = file("listen: 127.0.0.1:7443\n", 0o666);
    expect(await controller(["--config", ww])).toMatchObject({
      code: 2,
      error: `${ww}: is writable by every user (mode 0666): anyone could change what the service runs with; chmod o-w it (0644 or 0640)`,
    });
    const syntax = file("listen: 127.0.0.1:7443\ndata: [unclosed\n");
    expect((await controller(["--config", syntax])).error).toMatch(new RegExp(`^${syntax}:\\d+:\\d+: YAML syntax: `));
    const two = file("listen: 127.0.0.1:7443\n---\ndata: /x\n");
    expect((await controller(["--config", two])).error).toBe(
      `${two}:3:1: a configuration file holds one YAML document (no second '---')`,
    );
    const list = file("- listen: 127.0.0.1:7443\n");
    expect((await controller(["--config", list])).error).toBe(
      `${list}:1:1: must be a mapping of option names to values, e.g. \`listen: 127.0.0.1:7443\``,
    );
    const nested = file("config: /etc/other.yaml\n");
    expect((await controller(["--config", nested])).error).toBe(
      `${nested}:1:1: config: a configuration file cannot name another one`,
    );
    const missing = join(dir, "missing.yaml");
    expect(await controller(["--config", missing])).toMatchObject({
      code: 2,
      error: `${missing}: cannot read the configuration file (ENOENT)`,
    });
    expect((await controller(["--config", dir])).error).toBe(`${dir}: is not a regular file`);
  });

  it("the thrown error is a ConfigFileError listing every issue", async () => {
    const { loadConfigFile } = await import("../../../cli/config-file/load.js");
    const program = new Command("virtfleet");
    registerControllerCommand(program);
    const options = program.commands[0]!.options;
    const f = file("bad-one: 1\nbad-two: 2\n");
    let caught: unknown;
    try {
      loadConfigFile(f, options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigFileError);
    expect((caught as ConfigFileError).issues.map((i) => [i.line, i.col, i.path])).toEqual([
      [1, 1, "bad-one"],
      [2, 1, "bad-two"],
    ]);
  });

  it("the default file is read when it exists and --config is absent; nothing when it does not exist", async () => {
    const defaultPath = join(dir, "default.yaml");
    const register = (p: Command) => {
      const cmd = p
        .command("svc")
        .option("--listen <addr>", "address", "127.0.0.1:1")
        .option("--level <n>", "n", Number);
      useConfigFile(cmd, { defaultPath });
    };
    expect((await run(register, "svc", [])).flags).toEqual({ listen: "127.0.0.1:1" });
    writeFileSync(defaultPath, "listen: 0.0.0.0:2\nlevel: 3\n");
    expect((await run(register, "svc", [])).flags).toEqual({ listen: "0.0.0.0:2", level: 3 });
    expect((await run(register, "svc", ["--level", "4"])).flags).toEqual({ listen: "0.0.0.0:2", level: 4 });
    const other = file("level: 9\n");
    expect((await run(register, "svc", ["--config", other])).flags).toEqual({
      listen: "127.0.0.1:1",
      level: 9,
      config: other,
    });
    // options added later are keys without any change to the loader
    const later = (p: Command) => {
      register(p);
      p.commands[0]!.option("--web-listen <addr>", "added by another module");
    };
    expect((await run(later, "svc", ["--config", file("web-listen: 127.0.0.1:7444\n")])).flags).toMatchObject({
      webListen: "127.0.0.1:7444",
    });
    // a subcommand runs without the parent's file being read (`agent install` writes agent.yaml)
    writeFileSync(defaultPath, "not-an-option: 1\n");
    let installed = false;
    const withSub = (p: Command) => {
      register(p);
      p.commands[0]!.command("install")
        .option("--level <n>", "n")
        .action(() => {
          installed = true;
        });
    };
    expect((await run(withSub, "svc", ["install", "--level", "2"])).error).toBeUndefined();
    expect(installed).toBe(true);
    expect((await run(withSub, "svc", ["--level", "2"])).error).toBe(
      `${defaultPath}:1:1: not-an-option: unknown option: the keys are the command's long options without \`--\` (see --help)`,
    );
    rmSync(defaultPath);
  });

  it("--help and an unknown flag are reported as usual, before the file is read", async () => {
    const bad = file("nonsense: 1\n");
    expect((await controller(["--config", bad, "--no-such-flag"])).error).toMatch(/unknown option '--no-such-flag'/);
    const help = await controller(["--config", bad, "--help"]);
    expect(help.code).toBe(0);
  });

  it("`controller backup` takes `data` from controller.yaml, checks the file's other keys, and --data overrides it", async () => {
    const data = join(dir, "ctl-data");
    mkdirSync(data, { mode: 0o700 });
    await ControllerStore.open(data).close();
    const f = file(`data: ${data}\nlisten: 127.0.0.1:7443\n`);
    const program = () => {
      const p = new Command("virtfleet").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
      registerControllerCommand(p);
      for (const c of p.commands[0]!.commands) c.exitOverride();
      return p;
    };
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const b1 = join(dir, "b1.db");
      await program().parseAsync(["node", "virtfleet", "controller", "backup", b1, "--config", f]);
      expect(statSync(b1).mode & 0o777).toBe(0o600);
      expect(out.join("")).toContain(`the controller store ${join(data, "controller.db")}`);
      // the parent's --data (before the subcommand) and the subcommand's own both win over the file
      const elsewhere = join(dir, "no-store-here");
      for (const args of [
        ["controller", "--data", elsewhere, "backup", join(dir, "b2.db"), "--config", f],
        ["controller", "backup", join(dir, "b2.db"), "--config", f, "--data", elsewhere],
      ]) {
        const err = await program()
          .parseAsync(["node", "virtfleet", ...args])
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(describeError(err)).toBe(
          `no controller store at ${join(elsewhere, "controller.db")}: name the controller's data folder with --data`,
        );
        expect(exitCodeFor(err)).toBe(2);
      }
      expect(existsSync(join(dir, "b2.db"))).toBe(false);
      const bad = file(`data: ${data}\nlisten: nohost\n`);
      const err = await program()
        .parseAsync(["node", "virtfleet", "controller", "restore", b1, "--config", bad])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ConfigFileError);
      expect(describeError(err)).toMatch(new RegExp(`^${bad}:2:9: listen: invalid value`));
    } finally {
      process.stdout.write = write;
    }
  });

  it("suggests the nearest name: typos, swapped letters, other spellings", () => {
    const names = ["listen", "data", "state-dir", "token-file", "heartbeat-interval"];
    expect(nearestName("lisen", names)).toBe("listen");
    expect(nearestName("dtaa", names)).toBe("data");
    expect(nearestName("stateDir", names)).toBe("state-dir");
    expect(nearestName("STATE_DIR", names)).toBe("state-dir");
    expect(nearestName("--token-file", names)).toBe("token-file");
    expect(nearestName("zzzzzz", names)).toBeUndefined();
    expect(editDistance("abc", "acb")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
});
