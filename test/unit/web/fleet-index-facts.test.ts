import { afterEach, describe, expect, it, vi } from "vitest";
import { type Engine, emptyInventory } from "../../../common/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import type { WebDeps } from "../../../controller/web/deps.js";
import { FleetIndex, type FleetHost, type FleetSnapshot } from "../../../controller/web/fleet-index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// The hosts table's fact filter over the real host store: the matching hosts, and their facts
// read once per snapshot and query (paging or sorting one filtered table does not re-read them).

let store: TestStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup(engine: Engine, count = 1_200) {
  store = await openTestStore(engine);
  const hosts = new HostStore(store.db);
  const names = Array.from({ length: count }, (_, i) => `kvm${String(i).padStart(4, "0")}`);
  // 50 hellos at a time (PostgreSQL runs them on the pool's connections at once)
  for (let from = 0; from < names.length; from += 50)
    await Promise.all(
      names.slice(from, from + 50).map((name, j) =>
        hosts.recordHello({
          name,
          agentVersion: "1",
          factsJson: JSON.stringify({ cpu: { cores: (from + j) % 3 === 0 ? 64 : 8 } }),
          factsFingerprint: name,
          sessionId: name,
          peer: "p",
          now: 1,
        }),
      ),
    );
  const deps = { hosts, policies: { current: () => ({ policies: [], inventory: emptyInventory() }) } };
  const fleet = new FleetIndex(deps as unknown as WebDeps);
  const snapshot = (): FleetSnapshot =>
    ({ builtAt: 0, hosts: names.map((name) => ({ name }) as FleetHost) }) as unknown as FleetSnapshot;
  return { hosts, fleet, snapshot };
}

// a new PostgreSQL database and 1,200 hellos take seconds on a loaded machine
describe.each(ENGINES)("the hosts table's fact filter on %s", { timeout: 30_000 }, (engine) => {
  it("keeps the hosts whose stored facts match, reading the facts once per snapshot and query", async () => {
    const { hosts, fleet, snapshot } = await setup(engine);
    const reads = vi.spyOn(hosts, "listAfter");
    const s1 = snapshot();
    const big = await fleet.select(s1, "", "facts.cpu.cores=64");
    expect(big).toHaveLength(400);
    expect(big.every((h) => Number(h.name.slice(3)) % 3 === 0)).toBe(true);
    const chunks = reads.mock.calls.length;
    expect(chunks).toBeGreaterThanOrEqual(3); // 1,200 hosts in chunks of 500
    expect(await fleet.select(s1, "", "facts.cpu.cores=64")).toHaveLength(400);
    expect(reads.mock.calls.length).toBe(chunks);
    // another query reads again; a new snapshot forgets the answers
    expect(await fleet.select(s1, "", "facts.cpu.cores=8")).toHaveLength(800);
    expect(reads.mock.calls.length).toBe(2 * chunks);
    expect(await fleet.select(snapshot(), "", "facts.cpu.cores=64")).toHaveLength(400);
    expect(reads.mock.calls.length).toBe(3 * chunks);
  });

  it("refuses a bad selector before reading any facts", async () => {
    const { hosts, fleet, snapshot } = await setup(engine, 10);
    const reads = vi.spyOn(hosts, "listAfter");
    await expect(fleet.select(snapshot(), "", "facts.cpu.cores=")).rejects.toThrow();
    expect(reads).not.toHaveBeenCalled();
  });
});
