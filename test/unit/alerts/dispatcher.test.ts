import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger, type Queryable } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import {
  AlertQueue,
  parseWebhookSpec,
  parseWebhookUrl,
  redactUrl,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  webhookRejection,
  retryDelay,
  WebhookDispatcher,
  type DispatcherOptions,
  type Poster,
} from "../../../controller/alerts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

const OPTS: DispatcherOptions = {
  concurrency: 2,
  timeoutMs: 1_000,
  backoff: { initialMs: 1_000, maxMs: 8_000, multiplier: 2 },
  maxAttempts: 5,
  pollMs: 1_000,
};

function setup(db: Queryable, answers: (number | Error)[], urls = ["http://127.0.0.1:1/hook"]) {
  const clock = { now: 100_000 };
  const calls: { url: string; at: number; headers: Record<string, string> }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const post: Poster = async (url, _body, headers) => {
    calls.push({ url, at: clock.now, headers });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await Promise.resolve();
    inFlight -= 1;
    const a = answers.shift() ?? 200;
    if (a instanceof Error) throw a;
    return { status: a };
  };
  const queue = new AlertQueue(db, urls);
  const d = new WebhookDispatcher(queue, silentLogger(), OPTS, { now: () => clock.now, random: () => 1, post });
  return { clock, calls, queue, d, maxInFlight: () => maxInFlight };
}

const payload = {
  type: "failure" as const,
  host: "h",
  policy: "p",
  kind: "domain",
  name: "n",
  error: "e",
  eventSeq: 1,
  at: "x",
};

describe.each(ENGINES)("the webhook queue (%s)", { timeout: 60_000 }, (engine) => {
  let store: TestStore;
  let db: Queryable;
  beforeAll(async () => {
    store = await openTestStore(engine);
    db = store.db;
  }, 60_000);
  afterAll(() => store.close(), 60_000);
  beforeEach(async () => {
    await db.run("DELETE FROM alert_deliveries");
  });

  describe("webhook retries", () => {
    it("backs off exponentially up to the cap (fake clock), then abandons after maxAttempts", async () => {
      const { clock, calls, queue, d } = setup(db, [500, new Error("connect ECONNREFUSED"), 503, 500, 500]);
      await queue.enqueue([payload], clock.now);
      const gaps: number[] = [];
      for (let i = 0; i < 5; i++) {
        const next = (await queue.nextDueAt())!;
        if (i > 0) gaps.push(next - clock.now);
        clock.now = next;
        expect(await d.pump()).toBe(1);
        await d.idle();
      }
      expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000]);
      expect(calls.map((c) => c.headers["x-virtfleet-attempt"])).toEqual(["1", "2", "3", "4", "5"]);
      expect(await queue.status()).toMatchObject({
        pending: 0,
        failing: 0,
        abandoned: 1,
        lastError: expect.stringMatching(/HTTP 500 \(gave up after 5 attempts\)/),
      });
    });

    it("does not send before the retry is due and delivers on the retry after a 500", async () => {
      const { clock, calls, queue, d } = setup(db, [500, 204]);
      await queue.enqueue([payload], clock.now);
      await d.pump();
      await d.idle();
      expect(await queue.status()).toMatchObject({
        pending: 1,
        failing: 1,
        lastError: "http://127.0.0.1:1/hook: HTTP 500",
      });
      clock.now += 999;
      expect(await d.pump()).toBe(0);
      clock.now += 1;
      expect(await d.pump()).toBe(1);
      await d.idle();
      expect(calls).toHaveLength(2);
      // delivery recovered: the webhook's old error is no longer shown
      expect(await queue.status()).toMatchObject({ pending: 0, failing: 0, lastError: null });
    });

    it("shows a webhook's error again when it fails after a recovery, and only that webhook's", async () => {
      const { clock, queue, d } = setup(db, [204, 500], ["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"]);
      await queue.enqueue([payload], clock.now);
      await d.pump();
      await d.idle();
      expect(await queue.status()).toMatchObject({ pending: 1, lastError: expect.stringMatching(/:2\/b: HTTP 500/) });
    });

    it("keeps at most `concurrency` requests in flight", async () => {
      const { clock, queue, d, maxInFlight } = setup(db, []);
      await queue.enqueue(
        Array.from({ length: 5 }, () => payload),
        clock.now,
      );
      expect(await d.pump()).toBe(2);
      expect(await d.pump()).toBe(0);
      await d.idle();
      await d.pump();
      await d.idle();
      await d.pump();
      await d.idle();
      expect(maxInFlight()).toBe(2);
      expect((await queue.status()).pending).toBe(0);
    });

    it("computes capped delays with jitter between half the initial delay and the ceiling", async () => {
      expect(retryDelay(1, OPTS.backoff, () => 1)).toBe(1_000);
      expect(retryDelay(10, OPTS.backoff, () => 1)).toBe(8_000);
      expect(retryDelay(10, OPTS.backoff, () => 0)).toBe(500);
    });
  });

  describe("webhook signatures and filters", () => {
    const secret = "0123456789abcdef-secret";
    it("signs every attempt over timestamp and body with the webhook's secret; unsigned without one", async () => {
      const clock = { now: 1_800_000_000_123 };
      const seen: { url: string; body: string; headers: Record<string, string> }[] = [];
      const post: Poster = async (url, body, headers) => {
        seen.push({ url, body, headers });
        return { status: 200 };
      };
      const queue = new AlertQueue(db, [
        { url: "http://127.0.0.1:1/signed", events: ["failure"], secret },
        "http://127.0.0.1:1/plain",
      ]);
      const d = new WebhookDispatcher(queue, silentLogger(), OPTS, { now: () => clock.now, random: () => 1, post });
      await queue.enqueue([payload], clock.now);
      await d.pump();
      await d.idle();
      const signed = seen.find((r) => r.url.endsWith("/signed"))!;
      const plain = seen.find((r) => r.url.endsWith("/plain"))!;
      expect(signed.headers[TIMESTAMP_HEADER]).toBe("1800000000");
      const mac = createHmac("sha256", secret).update(`1800000000.${signed.body}`).digest("hex");
      expect(signed.headers[SIGNATURE_HEADER]).toBe(`sha256=${mac}`);
      expect(signed.headers["x-virtfleet-event"]).toBe("failure");
      expect(plain.headers[SIGNATURE_HEADER]).toBeUndefined();
      const h = { timestamp: signed.headers[TIMESTAMP_HEADER], signature: signed.headers[SIGNATURE_HEADER] };
      expect(webhookRejection(secret, h, signed.body, clock.now)).toBeUndefined();
      expect(webhookRejection(secret, h, signed.body, clock.now + 6 * 60_000)).toMatch(/replay window/);
      expect(webhookRejection(secret, { ...h, timestamp: "1800000300" }, signed.body, clock.now)).toMatch(
        /does not match/,
      );
      expect(webhookRejection("another-secret-0123", h, signed.body, clock.now)).toMatch(/does not match/);
    });

    it("queues many alerts at once (several INSERTs) inside the caller's transaction, or none when it rolls back", async () => {
      const queue = new AlertQueue(db, ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]);
      const many = Array.from({ length: 250 }, (_, i) => ({ ...payload, eventSeq: i }));
      await expect(
        db.transaction(async (tx) => {
          expect(await queue.enqueue(many, 5, tx)).toBe(500);
          throw new Error("ingestion failed later");
        }),
      ).rejects.toThrow(/ingestion failed/);
      expect((await queue.status()).pending).toBe(0);
      expect(await db.transaction((tx) => queue.enqueue(many, 5, tx))).toBe(500);
      const due = await queue.due(5, 1_000);
      expect(due).toHaveLength(500);
      expect(new Set(due.map((d) => `${d.url} ${JSON.parse(d.payloadJson).eventSeq}`)).size).toBe(500);
    });

    it("queues a payload only for the webhooks whose event types include it", async () => {
      const queue = new AlertQueue(db, [
        { url: "http://127.0.0.1:1/failures", events: ["failure"] },
        { url: "http://127.0.0.1:1/changes", events: ["change"] },
        "http://127.0.0.1:1/default",
      ]);
      const drift = { type: "change" as const, host: "h", drift: {} as never };
      expect(await queue.enqueue([payload, drift], 1)).toBe(3);
      const due = await queue.due(1, 10);
      expect(due.map((r) => `${new URL(r.url).pathname} ${JSON.parse(r.payloadJson).type}`).sort()).toEqual([
        "/changes change",
        "/default failure",
        "/failures failure",
      ]);
    });

    it("parses 'URL events=… secret-file=…', refusing unknown types and settings", () => {
      expect(parseWebhookSpec("https://h.example/x")).toEqual({
        url: "https://h.example/x",
        events: ["drift", "failure"],
      });
      expect(parseWebhookSpec("https://h.example/x events=change,drift secret-file=/etc/s")).toEqual({
        url: "https://h.example/x",
        events: ["change", "drift"],
        secretFile: "/etc/s",
      });
      expect(() => parseWebhookSpec("https://h.example/x events=drfit")).toThrow(/--webhook: .*events=drfit/);
      expect(() => parseWebhookSpec("https://u:pw@h.example/x colour=red")).toThrow(/unknown setting "colour"/);
      expect(() => parseWebhookSpec("https://u:pw@h.example/x colour=red")).not.toThrow(/pw/);
    });
  });

  describe("webhook URLs", () => {
    it("accepts http(s) only and redacts userinfo and query", async () => {
      expect(() => parseWebhookUrl("ftp://x/y")).toThrow(/--webhook: .*only http and https/);
      expect(() => parseWebhookUrl("not a url")).toThrow(/not an absolute URL/);
      expect(redactUrl("https://user:pw@hooks.example:8443/a/b?token=s3cret")).toBe(
        "https://[redacted]@hooks.example:8443/a/b?[redacted]",
      );
      expect(redactUrl(parseWebhookUrl("http://127.0.0.1:9/x#frag"))).toBe("http://127.0.0.1:9/x");
    });

    it("never stores secrets from the URL in errors", async () => {
      const url = "http://alice:pw123@127.0.0.1:1/hook?token=s3cret";
      const { clock, queue, d } = setup(db, [new Error(`connect failed for ${url}`)], [url]);
      await queue.enqueue([payload], clock.now);
      await d.pump();
      await d.idle();
      const s = JSON.stringify(await queue.status());
      expect(s).not.toMatch(/pw123|s3cret|alice/);
      expect(s).toMatch(/\[redacted\]/);
    });
  });
});

describe("webhook deliveries on PostgreSQL: two controllers at once", { timeout: 60_000 }, () => {
  let store: TestStore;
  let second: PgDatabase;
  beforeAll(async () => {
    store = await openTestStore("postgres");
    second = await PgDatabase.connect({ url: store.postgres!.url, max: 8 });
  }, 60_000);
  afterAll(async () => {
    await second.close();
    await store.close();
  }, 60_000);
  beforeEach(async () => {
    await store.db.run("DELETE FROM alert_deliveries");
  });

  it("claimDue from two connection pools at once hands each due delivery to one claimer only", async () => {
    const urls = ["http://127.0.0.1:1/hook"];
    const a = new AlertQueue(store.db, urls);
    const b = new AlertQueue(second, urls);
    expect(
      await a.enqueue(
        Array.from({ length: 40 }, () => payload),
        1_000,
      ),
    ).toBe(40);
    const claims = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).claimDue(1_000, 5, 60_000)),
    );
    const ids = claims.flat().map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(40);
    // Claimed rows are leased: none is due again before the lease ends, all are after it.
    expect(await a.claimDue(59_999, 100, 120_000)).toEqual([]);
    expect(await b.claimDue(60_000, 100, 120_000)).toHaveLength(40);
  });

  it("two dispatchers on two pools deliver every queued alert exactly once", async () => {
    const urls = ["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"];
    const posted: string[] = [];
    const post: Poster = async (url, _body, headers) => {
      posted.push(`${url} ${headers["x-virtfleet-delivery"]}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { status: 204 };
    };
    const clock = { now: 1_000 };
    const deps = { now: () => clock.now, random: () => 1, post };
    const qa = new AlertQueue(store.db, urls);
    const qb = new AlertQueue(second, urls);
    const opts = { ...OPTS, concurrency: 4 };
    const da = new WebhookDispatcher(qa, silentLogger(), opts, deps);
    const db2 = new WebhookDispatcher(qb, silentLogger(), opts, deps);
    await qa.enqueue(
      Array.from({ length: 30 }, () => payload),
      clock.now,
    );
    while ((await qa.status()).pending > 0) {
      await Promise.all([da.pump(), db2.pump(), da.pump(), db2.pump()]);
      await Promise.all([da.idle(), db2.idle()]);
    }
    expect(posted).toHaveLength(60);
    expect(new Set(posted).size).toBe(60);
  });
});
