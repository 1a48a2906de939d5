import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/index.js";
import {
  AlertQueue,
  parseWebhookUrl,
  redactUrl,
  retryDelay,
  WebhookDispatcher,
  type DispatcherOptions,
  type Poster,
} from "../../../controller/alerts/index.js";
import { memoryDb } from "../ingest/fixtures.js";

const OPTS: DispatcherOptions = {
  concurrency: 2,
  timeoutMs: 1_000,
  backoff: { initialMs: 1_000, maxMs: 8_000, multiplier: 2 },
  maxAttempts: 5,
  pollMs: 1_000,
};

function setup(answers: (number | Error)[], urls = ["http://127.0.0.1:1/hook"]) {
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
  const queue = new AlertQueue(memoryDb(), urls);
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

describe("webhook retries", () => {
  it("backs off exponentially up to the cap (fake clock), then abandons after maxAttempts", async () => {
    const { clock, calls, queue, d } = setup([500, new Error("connect ECONNREFUSED"), 503, 500, 500]);
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
    const { clock, calls, queue, d } = setup([500, 204]);
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
    expect(await queue.status()).toMatchObject({ pending: 0, failing: 0 });
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const { clock, queue, d, maxInFlight } = setup([]);
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
    const { clock, queue, d } = setup([new Error(`connect failed for ${url}`)], [url]);
    await queue.enqueue([payload], clock.now);
    await d.pump();
    await d.idle();
    const s = JSON.stringify(await queue.status());
    expect(s).not.toMatch(/pw123|s3cret|alice/);
    expect(s).toMatch(/\[redacted\]/);
  });
});
