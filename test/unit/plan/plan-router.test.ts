import { describe, expect, it } from "vitest";
import { createLogger } from "../../../common/index.js";
import type { AgentSession } from "../../../controller/agents/index.js";
import { parseStoredAnswer, PlanRequester, PlanRouter } from "../../../controller/plan/index.js";

const log = createLogger("plan-router-test", "silent");
const bundle = { revision: "b1", generation: 1, policies: [] };

/** A stream here that answers every Command.plan with `resources` at once. */
function answeringSession(requester: PlanRequester, host: string): AgentSession {
  const s = {
    host,
    closed: false,
    send(body: { command: { id: string } }) {
      queueMicrotask(() =>
        requester.hooks().onPlanResult!(s as never, {
          commandId: body.command.id,
          bundleRevision: "b1",
          resources: [],
          error: "",
          durationMs: 2,
        }),
      );
    },
  };
  return s as unknown as AgentSession;
}

describe("PlanRouter without replicas (one controller)", () => {
  it("asks the streams here and calls every other host offline, touching no store", async () => {
    const requester = new PlanRequester(log);
    const sessions = new Map([["kvm01", answeringSession(requester, "kvm01")]]);
    const router = new PlanRouter({ agents: { session: (h) => sessions.get(h) }, requester, log });
    router.start();
    expect([...(await router.reachable(["kvm01", "kvm02"]))]).toEqual(["kvm01"]);
    expect(await router.plan("kvm01", bundle, 1_000)).toEqual({ status: "planned", resources: [], durationMs: 2 });
    expect(await router.plan("kvm02", bundle, 1_000)).toEqual({ status: "offline" });
    expect(await router.prune()).toBe(0);
    router.stop();
  });
});

describe("parseStoredAnswer", () => {
  it("reads what a holder stores, and re-validates planned resources", () => {
    const resource = {
      kind: "network",
      name: "n",
      policy: "p",
      outcome: "drift",
      changes: [{ field: "state", from: "absent", to: "active", disruption: "live" }],
      error: "",
      pendingRestart: false,
    };
    expect(parseStoredAnswer(JSON.stringify({ status: "planned", resources: [resource], durationMs: 4 }))).toEqual({
      status: "planned",
      resources: [resource],
      durationMs: 4,
    });
    expect(parseStoredAnswer('{"status":"timeout"}')).toEqual({ status: "timeout" });
    expect(parseStoredAnswer('{"status":"offline"}')).toEqual({ status: "offline" });
    expect(parseStoredAnswer('{"status":"error","error":"libvirt down"}')).toEqual({
      status: "error",
      error: "libvirt down",
    });
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[1]"],
    ["an unknown status", '{"status":"maybe"}'],
    ["an error without its text", '{"status":"error"}'],
    ["planned without resources", '{"status":"planned","durationMs":1}'],
    [
      "an unknown kind",
      '{"status":"planned","durationMs":1,"resources":[{"kind":"x","name":"n","policy":"p","outcome":"ok","changes":[],"error":""}]}',
    ],
    [
      "changes that are not FieldChanges",
      '{"status":"planned","durationMs":1,"resources":[{"kind":"network","name":"n","policy":"p","outcome":"drift","changes":[{"f":1}],"error":""}]}',
    ],
    ["a negative duration", '{"status":"planned","durationMs":-1,"resources":[]}'],
  ])("%s is an error answer, never a throw", (_what, json) => {
    const a = parseStoredAnswer(json);
    expect(a.status).toBe("error");
  });
});
