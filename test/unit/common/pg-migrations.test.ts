import { afterAll, describe, expect, it } from "vitest";
import { openTestStore } from "../../harness/postgres.js";

describe("pg quick", () => {
  it("applies", async () => {
    const s = await openTestStore("postgres");
    const rows = await s.db.all<{ version: number }>("SELECT version FROM virtfleet_schema ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await s.close();
  });
});
