import { join } from "node:path";
import { openDatabase } from "../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../controller/database/index.js";

/**
 * Seeds a controller store (DATA/controller.db, created with the controller's migrations) with
 * `count` hosts as test fixtures do, straight into the tables: ~2 KB of facts each, a bundle of
 * policy `web` (3 resources: a network, a pool, domain web1) observed converged, web1's outcome
 * failed for every 17th host and drift (with an open drift event) for every 7th. Seed a running
 * controller's store (a second connection; WAL lets it): at start a controller marks every host
 * disconnected and recomputes their bundles from its policies folder. `markConnected` sets some
 * connected (screenshots: no agents run).
 */
export function seedDashboardFleet(
  dataDir: string,
  count: number,
  name = (i: number) => `kvm${String(i).padStart(5, "0")}.lab`,
  /** Filler in each host's facts (the size of real facts). */
  padChars = 1_500,
): string[] {
  const db = openDatabase(join(dataDir, "controller.db"), CONTROLLER_MIGRATIONS, { synchronous: "NORMAL" });
  const now = Date.now();
  const pad = "x".repeat(padChars);
  const insertHost = db.prepare(
    `INSERT INTO hosts (name, first_seen, last_seen, connected, agent_version, facts_json, facts_fingerprint, observed_generation, observed_revision, last_report_at, last_event_seq)
     VALUES (?, ?, ?, 0, '0.1.0', ?, ?, 1, 'b1', ?, 10)`,
  );
  const insertBundle = db.prepare(
    "INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at) VALUES (?, 'b1', 1, ?, NULL, '[]', 1)",
  );
  const bundleJson = JSON.stringify({
    revision: "b1",
    generation: 1,
    policies: [{ name: "web", revision: "r1", mode: "enforce", resolvedJson: "{}" }],
  });
  const insertStatus = db.prepare(
    "INSERT INTO resource_status (host, policy, kind, name, outcome, changes_json, error, pending_restart, generation, event_seq, updated_at) VALUES (?, 'web', ?, ?, ?, '[]', '', 0, 1, 5, ?)",
  );
  const insertObserved = db.prepare(
    "INSERT INTO host_observed_policies (host, policy, revision, generation, observed_at) VALUES (?, 'web', 'r1', 1, ?)",
  );
  const insertDrift = db.prepare(
    `INSERT INTO drift_events (id, host, event_seq, policy, kind, name, fields_json, detected_at, source, remediation, resolved_at, classification, detail, received_at)
     VALUES (?, ?, 9, 'web', 'domain', 'web1', '[]', ?, 'event', 'reported', NULL, 'corrective', '', ?)`,
  );
  const names: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const host = name(i);
      names.push(host);
      const facts = JSON.stringify({
        schema: 1,
        hostname: host,
        cpu: { model: "EPYC", cores: 32 + (i % 4) * 16, virtualization: true },
        memory: { totalBytes: 256 * 2 ** 30 },
        rack: `r${i % 40}`,
        ...(padChars > 0 ? { pad } : {}),
      });
      insertHost.run(host, now - 86_400_000, now - (i % 600) * 1000, facts, `f${i}`, now - 60_000);
      insertBundle.run(host, bundleJson);
      insertObserved.run(host, now - 60_000);
      const outcome = i % 17 === 0 ? "failed" : i % 7 === 0 ? "drift" : "ok";
      insertStatus.run(host, "network", "net1", "ok", now - 60_000);
      insertStatus.run(host, "pool", "pool1", "ok", now - 60_000);
      insertStatus.run(host, "domain", "web1", outcome, now - 60_000);
      if (outcome === "drift") insertDrift.run(`d-${i}`, host, now - 30_000, now - 30_000);
    }
  })();
  db.close();
  return names;
}

/** Marks `names` connected in a running controller's store (a second connection; WAL lets it). */
export function markConnected(dataDir: string, names: readonly string[]): void {
  const db = openDatabase(join(dataDir, "controller.db"), CONTROLLER_MIGRATIONS);
  const now = Date.now();
  const set = db.prepare("UPDATE hosts SET connected = 1, connected_since = ?, last_seen = ? WHERE name = ?");
  db.transaction(() => {
    for (const n of names) set.run(now - 3_600_000, now, n);
  })();
  db.close();
}
