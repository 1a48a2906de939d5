import { HostBundleStore, type ComputedBundle } from "../../controller/bundles/index.js";
import type { ControllerStore } from "../../controller/database/index.js";
import { EventStore, type HostEvents } from "../../controller/ingest/index.js";

const POLICIES = ["web", "db", "base"];
const RESOURCES = [
  ["network", "net0"],
  ["pool", "pool0"],
  ["volume", "vol0"],
  ["domain", "vm0"],
] as const;

/**
 * Fills `store` through its tables' owners with `count` hosts named by `host(i)`: each with a
 * bundle of 3 policies (web, db, base) of 4 resources each and one report; open drift on 2 %
 * of them, a failed domain on 1 %. Shared by bench/metrics-scrape.ts and bench/compliance-page.ts.
 */
export async function fillComplianceFleet(
  store: ControllerStore,
  count: number,
  host: (i: number) => string,
): Promise<void> {
  const db = store.db;
  const bundles = new HostBundleStore(db);
  const events = new EventStore(db);
  const computed: ComputedBundle = {
    revision: "r1",
    policies: POLICIES.map((name) => ({
      name,
      revision: `${name}-1`,
      mode: "enforce",
      resolvedJson: JSON.stringify({ name, resources: {} }),
    })) as ComputedBundle["policies"],
    problems: [],
    conflicts: [],
  };
  const now = Date.now();
  for (let from = 0; from < count; from += 500) {
    const batch: HostEvents[] = [];
    await store.hosts.inTransaction(async (tx) => {
      for (let i = from; i < Math.min(count, from + 500); i++) {
        const name = host(i);
        await store.hosts.recordHello(
          {
            name,
            agentVersion: "bench",
            factsJson: JSON.stringify({ hostname: name, rack: `r${i % 40}` }),
            factsFingerprint: `f${i}`,
            sessionId: `s${i}`,
            peer: "bench",
            now,
          },
          tx,
        );
        await bundles.save(name, computed, now, tx);
        batch.push({
          host: name,
          events: [
            {
              type: "report",
              eventSeq: 1,
              report: {
                eventSeq: 1,
                generation: 1,
                bundleRevision: "r1",
                trigger: "bundle",
                startedAt: now,
                durationMs: 5,
                dryRun: false,
                resources: POLICIES.flatMap((policy) =>
                  RESOURCES.map(([kind, n]) => ({
                    kind,
                    name: `${policy}-${n}`,
                    policy,
                    outcome: i % 100 === 7 && kind === "domain" ? "failed" : "ok",
                    changesJson: "[]",
                    error: i % 100 === 7 && kind === "domain" ? "bench failure" : "",
                    pendingRestart: false,
                  })),
                ),
              },
            },
            ...(i % 50 === 3
              ? [
                  {
                    type: "drift" as const,
                    eventSeq: 2,
                    drift: {
                      id: `d-${i}`,
                      eventSeq: 2,
                      policy: "web",
                      kind: "network" as const,
                      name: "web-net0",
                      fields: [],
                      detectedAt: now,
                      source: "event" as const,
                      remediation: "reported" as const,
                      resolvedAt: null,
                      classification: "corrective" as const,
                      detail: "",
                    },
                  },
                ]
              : []),
          ],
        });
      }
    });
    await events.store(batch, now);
  }
}
