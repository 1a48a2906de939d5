import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreClock } from "../../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore("postgres");
});
afterAll(() => store.close());

describe("StoreClock: the replicas' shared time", () => {
  it("two replicas whose clocks are 7 minutes apart agree on now() to within a few ms", async () => {
    const ahead = await StoreClock.start(store.db, { localNow: () => Date.now() + 7 * 60_000 });
    const behind = await StoreClock.start(store.db, { localNow: () => Date.now() - 3 * 60_000 });
    try {
      expect(Math.abs(ahead.offsetMs + 7 * 60_000)).toBeLessThan(50);
      expect(Math.abs(ahead.now() - behind.now())).toBeLessThan(50);
      const db = (await store.db.get<{ t: number }>(
        "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t",
      ))!.t;
      expect(Math.abs(ahead.now() - db)).toBeLessThan(50);
    } finally {
      ahead.stop();
      behind.stop();
    }
  });
});
