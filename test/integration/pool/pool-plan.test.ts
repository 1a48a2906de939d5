/**
 * Plan-stage errors of pools as the fleet plan shows them: the agent's planner against the real
 * libvirtd (changes nothing), its answer aggregated for the policy and rendered as `virtfleet
 * plan` renders it — under the host's name, each pool with the error that stops it: a target
 * an existing libvirt pool on the host uses, a group-readable secret file (host and path, never
 * the content). Nothing is defined.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Planner } from "../../../agent/plan/index.js";
import { renderPlan } from "../../../cli/output/plan-view.js";
import { createLogger } from "../../../common/index.js";
import { validatePlanResult } from "../../../controller/agent-messages/index.js";
import { aggregatePlan } from "../../../controller/plan/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { tempDir } from "../../harness/processes.js";
import { resolvedPolicy } from "../../harness/specs.js";
import { virsh } from "../../harness/virsh.js";
import { poolExists, removePools } from "./pool-run.js";

const prefix = `vft-pl-${randomBytes(3).toString("hex")}-`;
const dir = tempDir("vft-pl-");
const log = createLogger("pool-plan-test", process.env.VFT_LOG_LEVEL ?? "silent");
const hand = `${prefix}hand`;
const dup = `${prefix}dup`;
const isc = `${prefix}isc`;
const secret = `chap-${randomBytes(10).toString("hex")}`;
const HOST = "kvm-07.lab";
let hv: Hypervisor;
let planner: Planner;

beforeAll(async () => {
  hv = await Hypervisor.open();
  planner = new Planner({ hypervisor: async () => hv, log });
  mkdirSync(join(dir.path, "shared"));
  await virsh("pool-define-as", hand, "dir", "--target", join(dir.path, "shared"));
});

afterAll(async () => {
  await planner?.stop();
  await removePools([hand, dup, isc]);
  await hv?.close();
  dir.cleanup();
});

describe("pool errors in the fleet plan", () => {
  it("name the host, the pool and what to do; nothing is defined; no secret content", async () => {
    const file = join(dir.path, "chap");
    writeFileSync(file, secret);
    chmodSync(file, 0o640);
    const policy = resolvedPolicy("storage", {
      pools: [
        { name: dup, type: "dir", path: join(dir.path, "shared"), autostart: false, state: "active" },
        {
          name: isc,
          type: "iscsi",
          path: "/dev/disk/by-path",
          source: {
            host: "san1.lab",
            port: 3260,
            target: `iqn.2026-01.lab:${prefix}t`,
            chap: { username: "u", secretFile: file },
          },
          autostart: false,
          state: "active",
        },
      ],
    });
    const record = await planner.plan("cmd-1", {
      revision: "b1",
      generation: 1,
      policies: [{ name: "storage", revision: "p1", mode: "enforce", resolvedJson: JSON.stringify(policy) }],
    });
    expect(record.error).toBe("");
    const valid = validatePlanResult({ ...record, resources: record.resources.map((o) => ({ ...o, changes: [] })) });
    const plan = aggregatePlan({
      policy: "storage",
      revision: "b1",
      previousRevision: null,
      targets: [HOST],
      answers: new Map([[HOST, { status: "planned", resources: valid.resources, durationMs: valid.durationMs }]]),
      now: Date.now(),
    });
    const text = renderPlan(plan);
    if (process.env.VFT_SHOW_PLAN === "1") console.log(text);
    expect(text).toContain(`${HOST}:\n`);
    expect(text).toContain(
      `  pool/${dup}: could not be checked: pool ${dup}: its path ${join(dir.path, "shared")} is already used by the libvirt pool ${hand} on this host`,
    );
    expect(text).toMatch(
      new RegExp(
        `  pool/${isc}: could not be checked: host \\S+: secret file ${file} is accessible by group \\(mode 0640\\)`,
      ),
    );
    expect(text + JSON.stringify(plan) + JSON.stringify(record)).not.toContain(secret);
    expect(await poolExists(dup)).toBe(false);
    expect(await poolExists(isc)).toBe(false);
  });
});
