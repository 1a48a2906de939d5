import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerRolloutCommands, controlLine, policyArg, reasonArg } from "../../../cli/commands/rollout.js";
import { fleetProto } from "../../../common/index.js";
import { bindLoopback, runInProcess } from "./in-process.js";
import type { RolloutStatusJson } from "../../../controller/rollout/index.js";

const doc = (over: Partial<RolloutStatusJson> = {}): RolloutStatusJson => ({
  policy: "web",
  id: "r1",
  revision: "bbbbbbbbbbbbbbbb",
  previousRevision: "aaaaaaaaaaaaaaaa",
  state: "running",
  rollingBack: false,
  createdAt: "2026-01-01T12:00:00.000Z",
  startedAt: "2026-01-01T12:00:00.000Z",
  stages: [
    {
      index: 0,
      kind: "plan",
      hosts: [],
      state: "succeeded",
      startedAt: "2026-01-01T12:00:00.000Z",
      finishedAt: "2026-01-01T12:00:01.000Z",
    },
    { index: 1, kind: "canary", hosts: ["kvm01"], state: "waiting", startedAt: "2026-01-01T12:00:01.000Z" },
  ],
  failedHosts: [],
  hosts: [{ name: "kvm01", stage: 1, phase: "sent", online: true }],
  lateHosts: [],
  ...over,
});

type Reply = { error?: { code: grpc.status; details: string }; found?: boolean; status?: RolloutStatusJson };
/** What the fake controller answers RolloutStatus for a policy, in turn (the last one repeats). */
const statusReplies = new Map<string, Reply[]>();
const controls: { policy: string; action: string; reason: string }[] = [];
let server: grpc.Server;
let address: string;

function answer(reply: Reply, cb: grpc.sendUnaryData<{ found: boolean; statusJson: string }>): void {
  if (reply.error) return cb({ code: reply.error.code, details: reply.error.details } as grpc.ServiceError);
  cb(null, { found: reply.found ?? true, statusJson: reply.status ? JSON.stringify(reply.status) : "" });
}

const NOT_FOUND: Reply = { error: { code: grpc.status.NOT_FOUND, details: 'policy "nosuch" is not loaded' } };

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(fleetProto().AdminService.service, {
    RolloutStatus: (
      call: grpc.ServerUnaryCall<{ policy: string }, unknown>,
      cb: grpc.sendUnaryData<{ found: boolean; statusJson: string }>,
    ) => {
      const replies = statusReplies.get(call.request.policy) ?? [NOT_FOUND];
      answer(replies.length > 1 ? replies.shift()! : replies[0]!, cb);
    },
    ControlRollout: (
      call: grpc.ServerUnaryCall<{ policy: string; action: string; reason: string }, unknown>,
      cb: grpc.sendUnaryData<{ found: boolean; statusJson: string }>,
    ) => {
      const { policy, action, reason } = call.request;
      controls.push({ policy, action, reason });
      if (policy === "nosuch") return answer(NOT_FOUND, cb);
      if (policy === "done")
        return answer(
          {
            error: {
              code: grpc.status.FAILED_PRECONDITION,
              details: "rollout of done is succeeded; only a pending or running rollout can pause",
            },
          },
          cb,
        );
      const state =
        action === "pause" ? "paused" : action === "abort" ? "aborted" : action === "rollback" ? "failed" : "running";
      answer(
        {
          status: doc({
            state,
            rollingBack: action === "rollback",
            reason: action === "resume" ? undefined : reason || `${action} by operator`,
          }),
        },
        cb,
      );
    },
  });
  address = await bindLoopback(server);
});
afterAll(() => server.forceShutdown());

const run = (...args: string[]) => runInProcess(registerRolloutCommands, address, args);

describe("rollout command arguments", () => {
  it("accepts policy names and refuses others with exit 2", async () => {
    expect(policyArg("web-01")).toBe("web-01");
    for (const bad of ["Web", "web_1", "", "a".repeat(64), "../x"])
      expect(() => policyArg(bad)).toThrow(/invalid policy name/);
    const r = await run("rollout", "status", "Web");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid policy name "Web"');
  });

  it("refuses unknown actions, a missing policy and --reason on status (exit 2)", async () => {
    expect((await run("rollout", "frobnicate", "web")).code).toBe(2);
    expect((await run("rollout", "pause")).code).toBe(2);
    const r = await run("rollout", "status", "web", "--reason", "x");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--reason'/);
  });

  it("--reason is one line of text", () => {
    expect(reasonArg("  latency alert ")).toBe("latency alert");
    expect(() => reasonArg("a\nb")).toThrow(/control characters/);
    expect(() => reasonArg("x".repeat(501))).toThrow(/at most 500/);
  });

  it("the control line names the policy, what happened and why", () => {
    expect(controlLine("web", "pause", doc({ state: "paused", reason: "latency" }), "latency")).toBe(
      "rollout of web paused: latency\n",
    );
    expect(controlLine("web", "resume", doc(), undefined)).toBe("rollout of web resumed\n");
    expect(controlLine("web", "rollback", doc({ state: "failed", rollingBack: true, reason: "bad" }), undefined)).toBe(
      "rollout of web rolling back: bad\n",
    );
    expect(controlLine("web", "rollback", doc({ state: "rolledback", reason: "bad" }), undefined)).toBe(
      "rollout of web rolled back: bad\n",
    );
  });
});

describe("rollout commands against a controller", () => {
  it("an unknown policy exits 2 with a clear message (status, pause --json)", async () => {
    for (const args of [
      ["rollout", "status", "nosuch"],
      ["rollout", "pause", "nosuch", "--json"],
    ]) {
      const r = await run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe('virtfleet: unknown policy "nosuch"; see `virtfleet policies`\n');
    }
  });

  it("status --json prints the document exactly; the human view renders it", async () => {
    statusReplies.set("web", [{ status: doc() }]);
    const j = await run("rollout", "status", "web", "--json");
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(doc());
    const h = await run("rollout", "status", "web");
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Rollout of web: aaaaaaaaaaaa → bbbbbbbbbbbb  RUNNING");
    expect(h.stdout).toMatch(/1\s+canary\s+waiting/);
  });

  it("a policy without a rollout: a note (exit 0), or null with --json", async () => {
    statusReplies.set("fresh", [{ found: false }]);
    expect(await run("rollout", "status", "fresh")).toMatchObject({ code: 0, stdout: "no rollout of fresh yet\n" });
    expect(await run("rollout", "status", "fresh", "--json")).toMatchObject({ code: 0, stdout: "null\n" });
  });

  it("pause sends the action and reason, prints one line and the status view", async () => {
    controls.length = 0;
    const r = await run("rollout", "pause", "web", "--reason", "latency alert");
    expect(controls).toEqual([{ policy: "web", action: "pause", reason: "latency alert" }]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("rollout of web paused: latency alert");
    expect(r.stdout).toContain("PAUSED");
    const j = await run("rollout", "abort", "web", "--json");
    expect(controls.at(-1)).toEqual({ policy: "web", action: "abort", reason: "" });
    expect(JSON.parse(j.stdout)).toMatchObject({ policy: "web", state: "aborted", reason: "abort by operator" });
  });

  it("an action that does not apply exits 4 (refused) with the controller's message", async () => {
    const r = await run("rollout", "pause", "done");
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("rollout of done is succeeded; only a pending or running rollout can pause");
  });

  it("status --watch follows the rollout until it ends: exit 0 when it succeeded, 1 otherwise", async () => {
    statusReplies.set("w1", [
      { status: doc({ policy: "w1" }) },
      { status: doc({ policy: "w1", state: "succeeded", finishedAt: "2026-01-01T12:01:00.000Z" }) },
    ]);
    const ok = await run("rollout", "status", "w1", "--watch", "--json");
    expect(ok.code).toBe(0);
    expect(
      ok.stdout
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as RolloutStatusJson).state),
    ).toEqual(["running", "succeeded"]);
    statusReplies.set("w2", [
      { status: doc({ policy: "w2", state: "failed", rollingBack: true }) },
      { status: doc({ policy: "w2", state: "rolledback" }) },
    ]);
    const bad = await run("rollout", "status", "w2", "--watch");
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("FAILED, ROLLING BACK");
    expect(bad.stdout).toContain("ROLLEDBACK");
  });
});
