import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../common/paths.js";

/**
 * Every controller table has one owner, the feature folder whose schema.ts creates it
 * (docs/design/tables.md); only the owner's files run SQL on it. Other modules call the
 * owner's query functions.
 */
const CONTROLLER = join(projectRoot(), "controller");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const folderOf = (file: string) => relative(CONTROLLER, file).split(/[\\/]/)[0]!;

function owners(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of files(CONTROLLER).filter((f) => f.endsWith("/schema.ts") || f.endsWith("\\schema.ts"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/CREATE TABLE (\w+)/g)) out.set(m[1]!, folderOf(file));
  }
  return out;
}

describe("table ownership", () => {
  const tables = owners();

  it("every table has an owner folder", () => {
    expect([...tables.keys()].sort()).toEqual(
      [
        "alert_deliveries",
        "audit_log",
        "certificates",
        "compliance_snapshots",
        "compliance_snapshot_fleet",
        "controller_leader",
        "controller_replicas",
        "drift_events",
        "enrol_tokens",
        "fact_history",
        "host_bundles",
        "host_observed_policies",
        "pki_ca",
        "plan_requests",
        "hosts",
        "policy_loads",
        "policy_revisions",
        "reports",
        "resource_status",
        "rollouts",
        "web_sessions",
        "web_signins",
      ].sort(),
    );
  });

  it("no folder runs SQL on another folder's tables", () => {
    const trespasses: string[] = [];
    for (const file of files(CONTROLLER)) {
      const folder = folderOf(file);
      for (const m of readFileSync(file, "utf8").matchAll(/\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(\w+)/g)) {
        const owner = tables.get(m[1]!);
        if (owner !== undefined && owner !== folder)
          trespasses.push(`${relative(CONTROLLER, file)}: ${m[0]} (owned by controller/${owner})`);
      }
    }
    expect(trespasses).toEqual([]);
  });
});
