import Database from "better-sqlite3";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditJson, AuditVerifyJson } from "../../cli/output/audit-view.js";
import { CONTROLLER_DB_FILE } from "../../controller/database/index.js";
import { startController, type StartedController } from "../harness/fleet.js";
import { runCli, stopAll, tempDir } from "../harness/processes.js";
import { auditNetworkPolicyYaml } from "../harness/specs.js";

// The audit log through the real CLI and controller: an operator action is recorded with its
// actor (--insecure: every caller is "insecure", role admin), the chain verifies, and an edit
// made to the SQLite file behind the controller's back (triggers dropped) is named by seq.
const data = tempDir("vft-audit-cli-e2e-");
const dataDir = join(data.path, "controller");
const policiesDir = join(data.path, "policies");
const policyName = `vft-e2e-audit-${process.pid}`;
let controller: StartedController;

const POLICY = auditNetworkPolicyYaml(policyName, "vft-e2e-audnet", "vftaudbr0");

const cli = (...args: string[]) => runCli([...args, "--controller", controller.address, "--insecure"]);

beforeAll(async () => {
  mkdirSync(policiesDir, { recursive: true });
  writeFileSync(join(policiesDir, "audit.yaml"), POLICY);
  controller = await startController({ dataDir, policiesDir });
});
afterAll(async () => {
  await stopAll();
  data.cleanup();
});

describe("audit log through the CLI", () => {
  let pauseSeq = 0;

  it("rollout pause is recorded with actor insecure and action rollout.pause (whether or not the rollout could pause)", async () => {
    const pause = await cli("rollout", "pause", policyName, "--reason", "e2e audit");
    expect([0, 4]).toContain(pause.code); // 4: refused in its state (spec/cli.md)
    const r = await cli("audit", "--json");
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout) as AuditJson[];
    const rec = records.find((x) => x.action === "rollout.pause" && x.target === policyName);
    expect(rec, r.stdout).toBeDefined();
    expect(rec!.actor).toBe("insecure");
    expect(rec!.detail.reason).toBe("e2e audit");
    pauseSeq = rec!.seq;
    const table = await cli("audit", "--limit", "5");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^${pauseSeq}\\s+\\S+ \\S+\\s+insecure\\s+rollout\\.pause.*${policyName}$`, "m"),
    );
  });

  it("audit --verify: intact, exit 0", async () => {
    const r = await cli("audit", "--verify");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^audit log intact: \d+ records?\n$/);
  });

  it("an edit made to the store while the controller is down is found after the restart: exit 1 naming the seq", async () => {
    await controller.proc.stop("SIGTERM");
    const db = new Database(join(dataDir, CONTROLLER_DB_FILE));
    try {
      expect(() => db.prepare("UPDATE audit_log SET actor = 'admin:someone-else' WHERE seq = ?").run(pauseSeq)).toThrow(
        /append-only/,
      );
      db.exec("DROP TRIGGER audit_log_no_update");
      expect(db.prepare("UPDATE audit_log SET actor = 'admin:someone-else' WHERE seq = ?").run(pauseSeq).changes).toBe(
        1,
      );
    } finally {
      db.close();
    }
    controller = await startController({ dataDir, policiesDir });
    const r = await cli("audit", "--verify");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`record ${pauseSeq} does not verify`);
    const j = await cli("audit", "--verify", "--json");
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout) as AuditVerifyJson).toMatchObject({ ok: false, firstBadSeq: pauseSeq });
  });
});
