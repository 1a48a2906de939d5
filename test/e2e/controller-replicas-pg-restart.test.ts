import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgDatabase } from "../../common/postgres/index.js";
import { waitForHost } from "../harness/fleet.js";
import { PrivatePostgres } from "../harness/private-postgres.js";
import { waitFor } from "../harness/processes.js";
import { ReplicaFleet } from "../harness/replicas.js";
import { domainState, policyDoc, rolloutBlock, runningDomain } from "../harness/rollout.js";
import { virsh } from "../harness/virsh.js";

// Two replicas and one agent on a PostgreSQL server of the test's own, which the test stops
// and starts again (the shared test cluster is never touched).
let pg: PrivatePostgres;
const fleet = new ReplicaFleet();
const POLICY = "svc";

const running = (domain: string) => async () => ((await domainState(domain)) === "running" ? true : undefined);

beforeAll(async () => {
  pg = await PrivatePostgres.start();
  await fleet.start({ replicas: 2, hosts: 1, postgresAdmin: pg.url() });
  await waitForHost(fleet.addressList, fleet.host(1), true, 30_000);
  fleet.write(
    "svc.yaml",
    policyDoc(POLICY, { rollout: rolloutBlock({ soak: "0s" }), resources: { domains: [runningDomain("web")] } }),
  );
  await waitFor("the guest running", running(`${fleet.host(1)}-web`), 60_000, 250);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
  await pg?.destroy();
}, 60_000);

describe("PostgreSQL stopped and started again under running replicas", () => {
  it("the agent keeps enforcing while the store is down; a replica serves again once it is back; the drift of the outage is stored once", async () => {
    const host = fleet.host(1);
    const guest = `${host}-web`;
    await pg.stopServer("fast");
    const downAt = Date.now();
    // the store is down: the agent still repairs drift on its own and keeps the event
    await virsh("destroy", guest);
    await waitFor("the agent to repair the guest without a controller", running(guest), 30_000, 200);
    await pg.startServer();
    const upAt = Date.now();

    const serving = await waitFor(
      "a replica serving again",
      async () => {
        for (const r of fleet.replicas) {
          try {
            await waitForHost(r.address, host, true, 500);
            return r;
          } catch {
            // not serving (standing by), or the host not back on it yet
          }
        }
        return undefined;
      },
      45_000,
      250,
    );
    console.info(
      `PostgreSQL down ${upAt - downAt} ms; served again (agent connected) ${Date.now() - upAt} ms after it was back, by ${serving.name}`,
    );

    const db = await PgDatabase.connect({ url: fleet.database.url, max: 1 });
    try {
      const rows = await waitFor(
        "the outage's drift stored",
        async () => {
          const r = await db.all<{ id: string }>(
            "SELECT id FROM drift_events WHERE host = ? AND name = ? AND source = 'event' AND detected_at >= ?",
            [host, guest, downAt - 1_000],
          );
          return r.length > 0 ? r : undefined; // (the policy's first apply is source 'apply': not this)
        },
        30_000,
      );
      expect(rows).toHaveLength(1);
    } finally {
      await db.close();
    }
    // both replicas still run (each serves; one leads)
    for (const r of fleet.replicas)
      expect(r.proc.running, `${r.name} exited: ${r.proc.stderr.slice(-2_000)}`).toBe(true);
  }, 150_000);
});
