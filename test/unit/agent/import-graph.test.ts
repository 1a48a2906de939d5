import { describe, expect, it } from "vitest";
import { staticImportGraph } from "../../harness/import-graph.js";

/**
 * What `virtfleet agent` loads at start: the static imports (types elided as tsc does,
 * dynamic import() not followed) reachable from the CLI entry and the agent command. The
 * agent process must stay small (issue 8: < 80 MB RSS), so none of the controller, the other
 * CLI commands, the policy parser (yaml, TypeBox, Ajv through common/index.ts) or the
 * certificate library (loaded on enrolment/renewal only) may be reachable from it.
 */
const ENTRIES = ["cli/main.ts", "cli/commands/agent.ts"];

describe("virtfleet agent's static import graph", { timeout: 60_000 }, () => {
  const { files, packages } = staticImportGraph(ENTRIES);

  it("reaches the agent, not the controller, the other commands or the common/index.ts barrel", () => {
    expect(files.has("agent/agent.ts")).toBe(true);
    expect([...files].filter((f) => f.startsWith("controller/"))).toEqual([]);
    // `agent install` registers with the agent; its work (install.ts) is imported only when it runs
    const agentInstall = ["cli/commands/agent-install/index.ts", "cli/commands/agent-install/register.ts"];
    expect(
      [...files].filter(
        (f) => f.startsWith("cli/commands/") && f !== "cli/commands/agent.ts" && !agentInstall.includes(f),
      ),
    ).toEqual([]);
    expect([...files].filter((f) => f === "common/index.ts" || f === "policy-language/index.ts")).toEqual([]);
    expect([...files].filter((f) => f.startsWith("cli/admin-"))).toEqual([]);
  });

  it("takes only the policy checks it needs (no parser)", () => {
    expect([...files].filter((f) => f.startsWith("policy-language/"))).toEqual([]);
    expect([...files].filter((f) => f.startsWith("policy-primitives/")).sort()).toEqual(["policy-primitives/names.ts"]);
  });

  it("takes the kinds' agent face only: no schema, resolve, semantics or policy registry", () => {
    const policyFace = /^kinds\/(?:[a-z-]+\/(?:spec|resolve|semantics|policy)\.ts|policy-kinds?\.ts|schemas\.ts)$/;
    expect([...files].filter((f) => f.startsWith("kinds/")).length).toBeGreaterThan(10);
    expect([...files].filter((f) => policyFace.test(f))).toEqual([]);
  });

  it("loads no yaml, TypeBox, Ajv, x509 library or node-cron at start", () => {
    for (const heavy of [
      "yaml",
      "@sinclair/typebox",
      "ajv",
      "@peculiar/x509",
      "reflect-metadata",
      "node-cron",
      "chokidar",
    ])
      expect(packages.has(heavy), heavy).toBe(false);
    expect(packages.has("@grpc/grpc-js")).toBe(true); // the graph is really walked
  });
});
