import { describe, expect, it } from "vitest";
import { staticImportGraph } from "../../harness/import-graph.js";

/**
 * What the admin API's commands load at start (static imports from the CLI entry, the admin
 * credential plumbing and the command's module). `compliance --json` at 10,000 hosts must
 * answer in under 2 s including its own start (issue 8), so none of them may load the controller
 * (SQLite, the scheduler, the policies watcher), the common/index.ts barrel with the policy
 * parser (yaml, TypeBox, Ajv), the logger or the certificate library.
 */
const COMMANDS = ["hosts", "drift", "rollout", "audit", "token", "cert", "policies", "plan"];
const HEAVY_PACKAGES = [
  "yaml",
  "@sinclair/typebox",
  "ajv",
  "better-sqlite3",
  "node-cron",
  "chokidar",
  "pino",
  "@peculiar/x509",
];

describe.each(COMMANDS)("`virtfleet %s`'s static import graph", { timeout: 60_000 }, (command) => {
  const { files, packages } = staticImportGraph([
    "cli/main.ts",
    "cli/admin-credentials.ts",
    `cli/commands/${command}.ts`,
  ]);

  it("reaches the admin client, and of the controller only its shared defaults", () => {
    expect(files.has("cli/admin-credentials.ts")).toBe(true);
    expect([...files].filter((f) => f.startsWith("controller/"))).toEqual(["controller/defaults.ts"]);
  });

  it("skips the common/index.ts barrel and the policy parser", () => {
    expect([...files].filter((f) => f === "common/index.ts" || f === "policy-language/index.ts")).toEqual([]);
  });

  it("loads none of the controller's or the policy parser's packages", () => {
    expect(HEAVY_PACKAGES.filter((p) => packages.has(p))).toEqual([]);
    expect(packages.has("@grpc/grpc-js")).toBe(true); // the graph is really walked
  });
});

/**
 * `virtfleet apply --local` re-checks a host in one process: its start-up is most of a
 * re-check's time (issue 20, item 7), so it loads the policy parser but no TypeBox or Ajv
 * (validators are generated ahead of time, schemas are read only by the schema publisher), no
 * gRPC or SQLite, and none of the controller.
 */
describe("`virtfleet apply`'s static import graph", { timeout: 60_000 }, () => {
  const { files, packages } = staticImportGraph(["cli/main.ts", "cli/commands/apply.ts"]);

  it("loads the policy parser and the libvirt client, nothing of the controller or gRPC", () => {
    expect(packages.has("yaml")).toBe(true); // the graph is really walked
    expect(files.has("libvirt/index.ts")).toBe(true);
    for (const heavy of [
      "@sinclair/typebox",
      "ajv",
      "@grpc/grpc-js",
      "@grpc/proto-loader",
      "better-sqlite3",
      "@peculiar/x509",
    ])
      expect(packages.has(heavy), heavy).toBe(false);
    expect([...files].filter((f) => f.startsWith("controller/"))).toEqual([]);
    expect([...files].filter((f) => f === "common/index.ts" || f === "kinds/schemas.ts")).toEqual([]);
    // The agent's bundle check is the agent's: a local apply validates no bundle.
    expect(files.has("generated/validators/bundled-policy.ts")).toBe(false);
  });
});
