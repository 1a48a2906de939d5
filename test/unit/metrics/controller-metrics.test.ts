import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createLogger, type Engine } from "../../../common/index.js";
import { ComplianceService } from "../../../controller/compliance/index.js";
import { HostConditions, HostStore } from "../../../controller/hosts/index.js";
import { ControllerMetrics } from "../../../controller/metrics/index.js";
import { parseExposition, sampleValue, samplesOf } from "../../harness/exposition.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// ControllerMetrics over the real host store and compliance service (each engine):
// host states from sessions and conditions, per-host series only when asked for.
const log = createLogger("metrics-unit", "silent");
const dir = mkdtempSync(join(tmpdir(), "vf-metrics-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let store: TestStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup(engine: Engine, perHost: boolean) {
  store = await openTestStore(engine);
  const db = store.db;
  const hosts = new HostStore(db);
  for (const name of ["h1", "h2", "h3", "h4"])
    await hosts.recordHello({
      name,
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: name,
      sessionId: name,
      peer: "p",
      now: 1,
    });
  const conditions = new HostConditions();
  conditions.setAgentHealth("h2", "state disk full");
  const compliance = new ComplianceService(db, log);
  const sessions = [
    { host: "h1", libvirtUnreachable: false, outboxEntries: 3 },
    { host: "h2", libvirtUnreachable: false, outboxEntries: 10 },
    { host: "h3", libvirtUnreachable: true, outboxEntries: 0 },
    { host: undefined, libvirtUnreachable: false, outboxEntries: 99 }, // a stream before its Hello
  ];
  return new ControllerMetrics(
    {
      sessions: () => sessions,
      conditions,
      hostCount: () => hosts.count(),
      hostNames: () => hosts.names(),
      compliance: compliance.tally,
      rollouts: () => [],
      storeFile: join(dir, "absent.db"),
    },
    log,
    { perHost },
  );
}

describe.each(ENGINES)("ControllerMetrics on %s", (engine) => {
  it("counts hosts by the views' state rule and sums the reported backlog, without host labels", async () => {
    const e = parseExposition((await (await setup(engine, false)).scrape()).body);
    expect(sampleValue(e, "virtfleet_agents_connected")).toBe(3);
    expect(Object.fromEntries(samplesOf(e, "virtfleet_hosts").map((s) => [s.labels.state, s.value]))).toEqual({
      connected: 1,
      degraded: 1,
      "libvirt-unreachable": 1,
      disconnected: 1,
    });
    expect(sampleValue(e, "virtfleet_outbox_backlog_events")).toBe(13);
    expect(sampleValue(e, "virtfleet_outbox_backlog_max_events")).toBe(10);
    // hosts without bundles are compliant (compliance --json says so too)
    expect(sampleValue(e, "virtfleet_hosts_compliance", { status: "compliant" })).toBe(4);
    expect(sampleValue(e, "virtfleet_fleet_compliance_ratio")).toBe(1);
    expect(sampleValue(e, "virtfleet_webhook_queue_depth")).toBe(0);
    expect(sampleValue(e, "virtfleet_store_size_bytes", { file: "database" })).toBe(0);
    expect(e.samples.some((s) => "host" in s.labels)).toBe(false);
  });

  it("--metrics-per-host: one state, one compliance status and the backlog per host", async () => {
    const e = parseExposition((await (await setup(engine, true)).scrape()).body);
    const states = Object.fromEntries(samplesOf(e, "virtfleet_host_state").map((s) => [s.labels.host, s.labels.state]));
    expect(states).toEqual({ h1: "connected", h2: "degraded", h3: "libvirt-unreachable", h4: "disconnected" });
    expect(samplesOf(e, "virtfleet_host_state").every((s) => s.value === 1)).toBe(true);
    expect(samplesOf(e, "virtfleet_host_compliance")).toHaveLength(4);
    expect(sampleValue(e, "virtfleet_host_outbox_backlog_events", { host: "h2" })).toBe(10);
    expect(sampleValue(e, "virtfleet_host_outbox_backlog_events", { host: "h4" })).toBeUndefined();
  });
});
