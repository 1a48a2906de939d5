import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../common/index.js";
import type { ValidPlanResult } from "../../../controller/agent-messages/index.js";
import type { AgentSession } from "../../../controller/agents/index.js";
import { PlanRequester } from "../../../controller/plan/index.js";

const log = createLogger("plan-test", "silent");
const bundle = {
  revision: "b1",
  generation: 3,
  policies: [{ name: "web", revision: "p1", mode: "enforce", resolvedJson: "{}" }],
};

interface FakeSession {
  host: string;
  closed: boolean;
  sent: any[];
  send(body: unknown): void;
}
function fakeSession(host = "kvm01", onSend?: (s: FakeSession) => void): FakeSession & AgentSession {
  const s: FakeSession = {
    host,
    closed: false,
    sent: [],
    send(body) {
      this.sent.push(body);
      onSend?.(this);
    },
  };
  return s as FakeSession & AgentSession;
}
const idOf = (s: FakeSession, i = 0): string => s.sent[i].command.id;
const result = (commandId: string, over: Partial<ValidPlanResult> = {}): ValidPlanResult => ({
  commandId,
  bundleRevision: "b1",
  resources: [],
  error: "",
  durationMs: 5,
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("PlanRequester", () => {
  it("sends Command.plan with the bundle and resolves with the matching result", async () => {
    const r = new PlanRequester(log);
    const s = fakeSession();
    const p = r.request(s, bundle, 1_000);
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0].command.plan.bundle).toEqual(bundle);
    expect(idOf(s)).toMatch(/^plan-/);
    const outcome = {
      kind: "domain" as const,
      name: "a",
      policy: "web",
      outcome: "drift" as const,
      changes: [],
      error: "",
      pendingRestart: false,
    };
    r.hooks().onPlanResult!(s, result(idOf(s), { resources: [outcome] }));
    await expect(p).resolves.toEqual({ status: "planned", resources: [outcome], durationMs: 5 });
    expect(r.size).toBe(0);
  });

  it("answers error when the result carries one", async () => {
    const r = new PlanRequester(log);
    const s = fakeSession();
    const p = r.request(s, bundle, 1_000);
    r.hooks().onPlanResult!(s, result(idOf(s), { error: "invalid bundle: x" }));
    await expect(p).resolves.toEqual({ status: "error", error: "invalid bundle: x" });
  });

  it("times out, leaving no timer, and drops a late result", async () => {
    vi.useFakeTimers();
    const r = new PlanRequester(log);
    const s = fakeSession();
    const p = r.request(s, bundle, 500);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(500);
    await expect(p).resolves.toEqual({ status: "timeout" });
    expect(vi.getTimerCount()).toBe(0);
    expect(() => r.hooks().onPlanResult!(s, result(idOf(s)))).not.toThrow();
    expect(r.size).toBe(0);
  });

  it("answers offline when the stream closes first, or is closed already", async () => {
    vi.useFakeTimers();
    const r = new PlanRequester(log);
    const s = fakeSession();
    const a = r.request(s, bundle, 1_000);
    const b = r.request(s, bundle, 1_000);
    r.hooks().onClosed!(s);
    await expect(a).resolves.toEqual({ status: "offline" });
    await expect(b).resolves.toEqual({ status: "offline" });
    expect(vi.getTimerCount()).toBe(0);
    s.closed = true;
    await expect(r.request(s, bundle, 1_000)).resolves.toEqual({ status: "offline" });
    expect(s.sent).toHaveLength(2);
  });

  it("answers offline when sending breaks the stream", async () => {
    const r = new PlanRequester(log);
    const s = fakeSession("kvm01", (x) => (x.closed = true));
    await expect(r.request(s, bundle, 1_000)).resolves.toEqual({ status: "offline" });
    expect(r.size).toBe(0);
  });

  it("answers error when sending throws", async () => {
    const r = new PlanRequester(log);
    const s = fakeSession("kvm01", () => {
      throw new Error("disk full");
    });
    await expect(r.request(s, bundle, 1_000)).resolves.toMatchObject({
      status: "error",
      error: expect.stringMatching(/disk full/),
    });
    expect(r.size).toBe(0);
  });

  it("bounds outstanding requests per stream", async () => {
    const r = new PlanRequester(log, 2);
    const s = fakeSession();
    const other = fakeSession("kvm02");
    const first = r.request(s, bundle, 1_000);
    void r.request(s, bundle, 1_000);
    await expect(r.request(s, bundle, 1_000)).resolves.toEqual({ status: "error", error: "too many plans in flight" });
    void r.request(other, bundle, 1_000);
    expect(other.sent).toHaveLength(1);
    r.hooks().onPlanResult!(s, result(idOf(s, 0)));
    await first;
    void r.request(s, bundle, 1_000);
    expect(s.sent).toHaveLength(3);
    r.close();
    expect(r.size).toBe(0);
  });

  it("drops results for unknown ids and for another stream's request", async () => {
    const r = new PlanRequester(log);
    const s = fakeSession();
    const other = fakeSession("kvm02");
    const p = r.request(s, bundle, 1_000);
    r.hooks().onPlanResult!(s, result("plan-unknown"));
    r.hooks().onPlanResult!(other, result(idOf(s)));
    expect(r.size).toBe(1);
    r.hooks().onPlanResult!(s, result(idOf(s)));
    await expect(p).resolves.toMatchObject({ status: "planned" });
  });
});
