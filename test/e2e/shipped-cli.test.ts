import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../common/paths.js";
import { VERSION } from "../../common/version.js";
import { assertBuilt, CLI } from "../harness/processes.js";

const run = promisify(execFile);

interface Metafile {
  outputs: Record<
    string,
    { entryPoint?: string; imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }
  >;
}

/**
 * The shipped `virtfleet` (package.json "bin") is the esbuild bundle scripts/bundle-cli.mjs writes
 * to dist/bin/, one chunk set per command. These checks read its metafile: what a command's
 * process loads at start is the command's chunk plus every chunk it imports statically.
 */
describe("the shipped CLI bundle", () => {
  assertBuilt();
  const meta = JSON.parse(readFileSync(join(dirname(CLI), "meta.json"), "utf8")) as Metafile;
  const cliKey = relative(projectRoot(), CLI); // the metafile's keys are relative to the project root

  /** The source files of the chunks loaded statically from the output holding `entryPoint` (or the CLI entry). */
  function loadedInputs(entryPoint?: string): string[] {
    const start =
      entryPoint === undefined
        ? cliKey
        : Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === entryPoint);
    expect(meta.outputs[start!], entryPoint ?? CLI).toBeDefined();
    const seen = new Set<string>();
    const todo = [start!];
    while (todo.length > 0) {
      const out = todo.pop()!;
      if (seen.has(out)) continue;
      seen.add(out);
      for (const imp of meta.outputs[out]!.imports)
        if (imp.kind === "import-statement" && meta.outputs[imp.path]) todo.push(imp.path);
    }
    return [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
  }

  it("runs (the bundle finds package.json and its version from dist/bin/)", async () => {
    const { stdout } = await run(process.execPath, [CLI, "--version"]);
    expect(stdout.trim()).toBe(VERSION);
  });

  it("`virtfleet agent` loads the agent and its gRPC client, none of the controller, other commands or the policy parser", () => {
    const inputs = [...loadedInputs(), ...loadedInputs("cli/commands/agent.ts")];
    expect(inputs).toContain("agent/agent.ts");
    expect(inputs.some((f) => f.includes("node_modules/@grpc/grpc-js/"))).toBe(true);
    expect(inputs.filter((f) => f.startsWith("controller/"))).toEqual([]);
    // `agent install` is registered with the agent; its work (cli/commands/agent-install/install.ts, yaml) loads when it runs
    const agentOwn = [
      "cli/commands/agent.ts",
      "cli/commands/agent-install/index.ts",
      "cli/commands/agent-install/register.ts",
    ];
    expect(inputs.filter((f) => f.startsWith("cli/commands/") && !agentOwn.includes(f))).toEqual([]);
    for (const heavy of ["yaml", "ajv", "@sinclair/typebox", "node-cron", "chokidar", "@peculiar/x509"]) {
      expect(
        inputs.filter((f) => f.includes(`node_modules/${heavy}/`)),
        heavy,
      ).toEqual([]);
    }
  });

  it("`virtfleet apply` (a local re-check) loads neither gRPC nor the logger at start, nor the bundle validator", () => {
    const inputs = [...loadedInputs(), ...loadedInputs("cli/commands/apply.ts")];
    expect(inputs).toContain("cli/commands/apply.ts");
    expect(inputs.filter((f) => f.startsWith("controller/") || f.startsWith("agent/agent"))).toEqual([]);
    expect(inputs).not.toContain("cli/admin-credentials.ts");
    expect(inputs).not.toContain("common/logging.ts"); // pino comes in with the first line logged
    expect(inputs).not.toContain("kinds/bundled-policy-check.ts");
    for (const heavy of ["@grpc/grpc-js", "pino", "@peculiar/x509"]) {
      expect(
        inputs.filter((f) => f.includes(`node_modules/${heavy}/`)),
        heavy,
      ).toEqual([]);
    }
  });

  it("`virtfleet controller` gets the controller from its command's chunks", () => {
    expect(loadedInputs("cli/commands/controller.ts")).toContain("controller/controller.ts");
  });

  it("keeps the names of the code's typed errors (VirtfleetError's `name` is its class's; keepNames is off)", () => {
    const sources = ["agent", "cli", "common", "controller"].flatMap((dir) =>
      readdirSync(join(projectRoot(), dir), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".ts"))
        .map((f) => readFileSync(join(projectRoot(), dir, f), "utf8")),
    );
    const errorClasses = [
      ...new Set(
        sources.flatMap((src) => [...src.matchAll(/^(?:export )?class (\w+Error) extends/gm)].map((m) => m[1]!)),
      ),
    ];
    const chunks = join(dirname(CLI), "chunks");
    const bundle = [
      readFileSync(CLI, "utf8"),
      ...readdirSync(chunks)
        .filter((f) => f.endsWith(".js"))
        .map((f) => readFileSync(join(chunks, f), "utf8")),
    ].join("\n");
    const declared = (name: string) => new RegExp(`(?<![\\w$])${name}=class\\b|\\bclass ${name}\\b`).test(bundle);
    // Renamed: only a numbered declaration is there (esbuild numbers a name that collides in a chunk).
    const renamed = errorClasses.filter(
      (name) => !declared(name) && new RegExp(`(?<![\\w$])${name}\\d+=class\\b|\\bclass ${name}\\d+\\b`).test(bundle),
    );
    expect(errorClasses.length).toBeGreaterThan(20);
    expect(errorClasses.filter(declared)).toContain("ValidationError");
    expect(renamed).toEqual([]);
  });

  it("keeps the native SQLite binding out of the bundle (loaded from node_modules)", () => {
    const all = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs));
    expect(all.filter((f) => f.includes("node_modules/better-sqlite3/"))).toEqual([]);
  });
});
