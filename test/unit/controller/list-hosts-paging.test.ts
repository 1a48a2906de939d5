import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../common/index.js";
import { adminHandlers } from "../../../controller/admin/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// ListHosts pages a fleet (each record carries the host's facts): pages by name, a token per page.
const log = createLogger("list-hosts-test", "silent");

/** `n` hosts h0000, h0001, … said Hello (one transaction), each with ~2 KB of facts. */
async function fleet(db: TestStore["db"], n: number): Promise<HostStore> {
  const hosts = new HostStore(db);
  await hosts.inTransaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const name = `h${String(i).padStart(4, "0")}`;
      await hosts.recordHello(
        {
          name,
          agentVersion: "1",
          factsJson: JSON.stringify({ rack: i % 3 === 0 ? "r1" : "r2", pad: "x".repeat(2_000) }),
          factsFingerprint: `f${i}`,
          sessionId: `s${i}`,
          peer: "p",
          now: 1,
        },
        tx,
      );
    }
  });
  return hosts;
}

async function page(
  hosts: HostStore,
  request: { pageSize?: number; pageToken?: string; selector?: string },
): Promise<{ names: string[]; next: string }> {
  const { ListHosts } = adminHandlers(hosts, log);
  return new Promise((resolve, reject) => {
    ListHosts(
      { request: { group: "", selector: "", pageSize: 0, pageToken: "", ...request } } as never,
      ((err: unknown, res: { hosts: { name: string }[]; nextPageToken: string }) =>
        err ? reject(err) : resolve({ names: res.hosts.map((h) => h.name), next: res.nextPageToken })) as never,
    );
  });
}

async function all(
  hosts: HostStore,
  request: { pageSize?: number; selector?: string },
): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let token = "";
  let pages = 0;
  do {
    const p = await page(hosts, { ...request, pageToken: token });
    names.push(...p.names);
    token = p.next;
    pages++;
  } while (token !== "");
  return { names, pages };
}

describe.each(ENGINES)("ListHosts paging (%s)", (engine) => {
  let t: TestStore;
  let hosts: HostStore;
  beforeAll(async () => {
    t = await openTestStore(engine);
    hosts = await fleet(t.db, 1_203);
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  });

  it("returns every host once, in name order, page by page", async () => {
    const { names, pages } = await all(hosts, { pageSize: 500 });
    expect(names).toHaveLength(1_203);
    expect(new Set(names).size).toBe(1_203);
    expect(names).toEqual([...names].sort());
    expect(pages).toBe(3);
  });

  it("pages what a selector keeps across the store's read chunks", async () => {
    const { names } = await all(hosts, { pageSize: 100, selector: "facts.rack=r1" });
    expect(names).toHaveLength(401);
    expect(names.every((n) => Number(n.slice(1)) % 3 === 0)).toBe(true);
  });

  it("ends a page at about 2 MB of facts whatever the page size", async () => {
    const first = await page(hosts, { pageSize: 5_000 });
    expect(first.names.length).toBeGreaterThan(900);
    expect(first.names.length).toBeLessThan(1_203);
    expect(first.next).toBe(first.names.at(-1));
  });

  it("refuses a token no controller gave out", async () => {
    await expect(page(hosts, { pageToken: "x".repeat(300) })).rejects.toMatchObject({ code: 3 });
  });
});
