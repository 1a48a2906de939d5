import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PLAN_TIMEOUT_MS, planTimeoutArg, registerPlanCommand } from "../../../cli/commands/plan.js";
import { fleetProto } from "../../../common/index.js";
import { bindLoopback, runInProcess } from "./in-process.js";
import type { PlanJson } from "../../../controller/plan/index.js";

const PLAN: PlanJson = {
  policy: "web",
  revision: "bbbbbbbbbbbbbbbb",
  plannedAt: "2026-01-01T12:00:00.000Z",
  targets: 2,
  summary: {
    hostsPlanned: 1,
    hostsChanging: 1,
    hostsUnanswered: 1,
    create: 1,
    change: 0,
    remove: 0,
    guestsRestart: 0,
    guestsRecreate: 0,
    failed: 0,
  },
  hosts: [
    {
      name: "kvm01",
      status: "planned",
      wouldChange: true,
      create: 1,
      change: 0,
      remove: 0,
      restart: 0,
      recreate: 0,
      failed: 0,
      resources: [{ policy: "web", kind: "domain", name: "web-01", action: "create", disruption: "none", changes: [] }],
    },
    {
      name: "kvm02",
      status: "timeout",
      wouldChange: false,
      create: 0,
      change: 0,
      remove: 0,
      restart: 0,
      recreate: 0,
      failed: 0,
      resources: [],
    },
  ],
};

const requests: { policy: string; timeoutMs: number; deadlineInMs: number }[] = [];
let server: grpc.Server;
let address: string;

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(fleetProto().AdminService.service, {
    Plan: (
      call: grpc.ServerUnaryCall<{ policy: string; timeoutMs: number }, unknown>,
      cb: grpc.sendUnaryData<{ planJson: string }>,
    ) => {
      const deadline = call.getDeadline();
      requests.push({
        ...call.request,
        deadlineInMs: (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now(),
      });
      if (call.request.policy === "nosuch")
        return cb({ code: grpc.status.NOT_FOUND, details: 'policy "nosuch" is not loaded' } as grpc.ServiceError);
      if (call.request.policy === "broken") return cb(null, { planJson: "not json" });
      cb(null, { planJson: JSON.stringify(PLAN) });
    },
  });
  address = await bindLoopback(server);
});
afterAll(() => server.forceShutdown());

const run = (...args: string[]) => runInProcess(registerPlanCommand, address, args);

describe("plan arguments", () => {
  it("--timeout is a duration above 0 and at most the controller's 5m", () => {
    expect(planTimeoutArg("45s")).toBe(45_000);
    expect(planTimeoutArg("5m")).toBe(300_000);
    expect(() => planTimeoutArg("0s")).toThrow(/--timeout: must be more than 0/);
    expect(() => planTimeoutArg("6m")).toThrow(/at most 5m0s/);
    expect(() => planTimeoutArg("soon")).toThrow(/invalid duration/);
  });

  it("refuses a bad policy name or timeout with exit 2 before calling the controller", async () => {
    requests.length = 0;
    expect((await run("plan", "Web")).code).toBe(2);
    expect((await run("plan", "web", "--timeout", "xx")).code).toBe(2);
    expect((await run("plan")).code).toBe(2);
    expect(requests).toEqual([]);
  });
});

describe("plan against a controller", () => {
  it("sends the default 30 s window; the call's deadline is 10 s longer", async () => {
    requests.length = 0;
    const r = await run("plan", "web");
    expect(r.code).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ policy: "web", timeoutMs: DEFAULT_PLAN_TIMEOUT_MS });
    expect(requests[0]!.deadlineInMs).toBeGreaterThan(35_000);
    expect(requests[0]!.deadlineInMs).toBeLessThanOrEqual(40_000);
    expect(r.stdout).toContain("Plan of web: revision (none) → bbbbbbbbbbbb (pending), 1 of 2 targeted hosts answered");
    expect(r.stdout).toContain("kvm02: did not answer (no answer in time)");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "1 host would change: 1 create, 0 change, 0 remove; 0 guests need a restart, 0 recreated; 1 host did not answer",
    );
  });

  it("--json prints the plan document; --timeout is sent as timeout_ms", async () => {
    requests.length = 0;
    const r = await run("plan", "web", "--json", "--timeout", "2m");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(PLAN);
    expect(requests[0]).toMatchObject({ timeoutMs: 120_000 });
    expect(requests[0]!.deadlineInMs).toBeGreaterThan(125_000);
  });

  it("an unknown policy exits 2 naming it; a garbled answer exits 1", async () => {
    const r = await run("plan", "nosuch");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('virtfleet: unknown policy "nosuch"; see `virtfleet policies`\n');
    const b = await run("plan", "broken", "--json");
    expect(b.code).toBe(1);
    expect(b.stdout).toBe("");
    expect(b.stderr).toMatch(/plan document that is not a JSON object/);
  });
});
