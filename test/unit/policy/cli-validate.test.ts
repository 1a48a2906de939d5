import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { registerPolicyCommands } from "../../../cli/commands/policy.js";
import { exitCodeFor } from "../../../cli/exit-codes.js";
import { projectRoot } from "../../../common/index.js";
import { policy } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "vf-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

/** Runs `virtfleet ARGS` through commander; returns the exit code main.ts would use. */
async function run(...args: string[]): Promise<number> {
  const program = new Command("virtfleet").exitOverride();
  registerPolicyCommands(program);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(["node", "virtfleet", ...args]);
    return 0;
  } catch (e) {
    return exitCodeFor(e);
  }
}

describe("virtfleet policy validate", () => {
  it("exits 0 with a one-line summary for the examples", async () => {
    expect(await run("policy", "validate", join(projectRoot(), "policies"))).toBe(0);
    expect(out).toMatch(/^valid: 2 policies \(baseline, web-db\), inventory .*inventory\.yaml \(2 groups\)\n$/);
    expect(err).toBe("");
  });

  it("exits 2 and prints every error as file:line:col: path: message on stderr", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, policy("bad", "    domains:\n      - {name: d, vcpus: 0, memory: 1GiB, colour: red}\n"));
    expect(await run("policy", "validate", bad)).toBe(2);
    expect(err.trim().split("\n")).toEqual([
      `${bad}:8:26: spec.resources.domains[0].vcpus: must be at least 1 (got 0)`,
      // the allowed list grows with every domain field: its ends are what this test is about
      expect.stringMatching(
        new RegExp(
          `^${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:8:43: spec\\.resources\\.domains\\[0\\]\\.colour: unknown field "colour" \\(allowed: name, .*, vcpus, .*, memory, .*, restartOnChange\\)$`,
        ),
      ),
    ]);
    expect(out).toBe("");
  });

  it("--json prints one document on stdout and still exits 2 on errors", async () => {
    const bad = join(dir, "bad2.yaml");
    writeFileSync(
      bad,
      "apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: x}\nspec: {resources: {}, mode: strict}\n",
    );
    expect(await run("policy", "validate", "--json", bad, join(projectRoot(), "policies", "baseline.yaml"))).toBe(2);
    const doc = JSON.parse(out);
    expect(doc.valid).toBe(false);
    expect(doc.errors).toEqual([
      { file: bad, line: 4, col: 29, path: "spec.mode", message: 'must be one of: enforce, audit (got "strict")' },
    ]);
    expect(doc.policies).toEqual([
      expect.objectContaining({
        name: "baseline",
        resources: { host: 1, networks: 1, pools: 1, volumes: 0, domains: 0 },
      }),
    ]);
  });

  it("a folder without inventory.yaml is checked as the controller loads it: only the implicit groups exist; a single file is not", async () => {
    const folder = mkdtempSync(join(dir, "noinv-"));
    const file = join(folder, "g.yaml");
    writeFileSync(file, policy("g", "    networks: []\n", "  targets: {groups: [web]}\n"));
    expect(await run("policy", "validate", folder)).toBe(2);
    expect(err).toContain(
      `${file}:6:22: spec.targets.groups[0]: unknown group "web" (there is no inventory.yaml, so only the implicit groups exist: all, ungrouped)`,
    );
    err = "";
    expect(await run("policy", "validate", file)).toBe(0);
  });

  it("--json on valid input exits 0", async () => {
    expect(await run("policy", "validate", "--json", join(projectRoot(), "policies"))).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      valid: true,
      errors: [],
      policies: [{ name: "baseline" }, { name: "web-db", resources: { volumes: 2, domains: 2 } }],
    });
  });
});
