import * as grpc from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { fleetProto, silentLogger } from "../../../common/index.js";
import { AuditLog } from "../../../controller/audit/index.js";
import { authorizeAdmin, denial, type AdminCall, type Caller } from "../../../controller/auth/index.js";
import type { AdminServiceHandlers } from "../../../generated/proto/fleet/v1/AdminService.js";
import { auditDb } from "../audit/audit-db.js";

const viewer: Caller = { kind: "admin", name: "vic", role: "viewer" };
const operator: Caller = { kind: "admin", name: "olga", role: "operator" };
const admin: Caller = { kind: "admin", name: "ada", role: "admin" };
const insecure: Caller = { kind: "admin", name: "insecure", role: "admin" };
const agent: Caller = { kind: "agent", host: "kvm01" };
const anonymous: Caller = { kind: "anonymous", reason: "no client certificate" };

/** A unary call as grpc-js hands it to a handler, carrying who is calling for the fake callerOf. */
function unaryCall<Req>(request: Req, caller: Caller): AdminCall {
  return { request, caller, getPeer: () => "ipv4:127.0.0.1:50000" } as unknown as AdminCall;
}

const callerOf = (call: AdminCall) => (call as unknown as { caller: Caller }).caller;

type Answer = { err: Partial<grpc.StatusObject> | null; value: unknown };

/** Calls a wrapped unary handler and resolves to what it answered. */
function invoke(handler: unknown, request: unknown, caller: Caller): Promise<Answer> {
  return new Promise((resolve) => {
    (handler as grpc.handleUnaryCall<unknown, unknown>)(
      unaryCall(request, caller) as grpc.ServerUnaryCall<unknown, unknown>,
      (err, value) => resolve({ err, value }),
    );
  });
}

function setup() {
  const audit = new AuditLog(auditDb());
  const log = silentLogger();
  const warn = vi.spyOn(log, "warn");
  const calls: string[] = [];
  const handlers: Partial<AdminServiceHandlers> = {
    ListHosts: (_call, cb) => (calls.push("ListHosts"), cb(null, { hosts: [] })),
    ControlRollout: (call, cb) => {
      calls.push("ControlRollout");
      if (call.request.policy === "done")
        return cb({ code: grpc.status.FAILED_PRECONDITION, details: "rollout of done is succeeded" });
      cb(null, { found: true, statusJson: "{}" });
    },
    CreateToken: (_call, cb) => (
      calls.push("CreateToken"), cb(null, { token: "vft1.TOPSECRET", expiresAt: "2026-01-01T01:00:00.000Z" })
    ),
    RevokeCertificate: () => {
      throw new Error("store is closed");
    },
  };
  const wrapped = authorizeAdmin(handlers, callerOf, audit, log);
  return { audit, warn, calls, wrapped };
}

const pause = { policy: "web", action: "pause", reason: "latency" };

describe("authorizeAdmin", () => {
  it("a viewer calling ControlRollout gets PERMISSION_DENIED naming the role; the handler does not run; the denial is logged and audited", async () => {
    const { wrapped, calls, audit, warn } = setup();
    const { err } = await invoke(wrapped.ControlRollout, pause, viewer);
    expect(err).toEqual({
      code: grpc.status.PERMISSION_DENIED,
      details: "ControlRollout needs role operator; admin:vic has role viewer",
    });
    expect(calls).toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ method: "ControlRollout", actor: "admin:vic", needed: "operator" }),
      expect.stringContaining("denied"),
    );
    const [r] = await audit.list();
    expect(r).toMatchObject({ actor: "admin:vic", action: "rollout.pause", target: "web" });
    expect(JSON.parse(r!.detailJson)).toEqual({
      reason: "latency",
      denied: "ControlRollout needs role operator; admin:vic has role viewer",
    });
  });

  it("an operator may control rollouts: the call runs and is audited after it succeeded", async () => {
    const { wrapped, calls, audit } = setup();
    const { err, value } = await invoke(wrapped.ControlRollout, pause, operator);
    expect(err).toBeNull();
    expect(value).toEqual({ found: true, statusJson: "{}" });
    expect(calls).toEqual(["ControlRollout"]);
    expect(await audit.list()).toMatchObject([
      { seq: 1, actor: "admin:olga", action: "rollout.pause", target: "web", detailJson: '{"reason":"latency"}' },
    ]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it("a mutating call that fails is audited with the error", async () => {
    const { wrapped, audit } = setup();
    const { err } = await invoke(wrapped.ControlRollout, { ...pause, policy: "done" }, admin);
    expect(err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(JSON.parse((await audit.list())[0]!.detailJson)).toEqual({
      reason: "latency",
      error: "rollout of done is succeeded",
      code: "FAILED_PRECONDITION",
    });
  });

  it("a handler that throws answers INTERNAL and is audited as an error", async () => {
    const { wrapped, audit } = setup();
    const { err } = await invoke(wrapped.RevokeCertificate, { host: "kvm01", reason: "" }, admin);
    expect(err).toMatchObject({ code: grpc.status.INTERNAL, details: "RevokeCertificate failed: store is closed" });
    expect((await audit.list())[0]).toMatchObject({ actor: "admin:ada", action: "cert.revoke", target: "kvm01" });
    expect(JSON.parse((await audit.list())[0]!.detailJson)).toMatchObject({ code: "INTERNAL" });
  });

  it("token.create is audited without the token", async () => {
    const { wrapped, audit } = setup();
    const { value } = await invoke(wrapped.CreateToken, { ttlMs: 0, host: "", pattern: "kvm*", uses: 3 }, insecure);
    expect((value as { token: string }).token).toBe("vft1.TOPSECRET");
    const [r] = await audit.list();
    expect(r).toMatchObject({ actor: "insecure", action: "token.create", target: "kvm*" });
    expect(r!.detailJson).not.toContain("TOPSECRET");
  });

  it("an agent certificate is denied every admin method, and the attempt at a mutating one audited", async () => {
    const { wrapped, audit, calls } = setup();
    const list = await invoke(wrapped.ListHosts, {}, agent);
    expect(list.err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(list.err?.details).toMatch(/needs an admin certificate with role viewer; the certificate of agent kvm01/);
    const create = await invoke(wrapped.CreateToken, { ttlMs: 0, host: "", pattern: "", uses: 0 }, agent);
    expect(create.err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(calls).toEqual([]);
    expect(await audit.list()).toMatchObject([{ actor: "agent:kvm01", action: "token.create", target: "*" }]);
  });

  it("an anonymous caller is denied, logged, but not audited (it could grow the log without limit)", async () => {
    const { wrapped, audit, warn, calls } = setup();
    const r = await invoke(wrapped.ControlRollout, pause, anonymous);
    expect(r.err).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringMatching(/needs an admin certificate with role operator \(no client certificate\)/),
    });
    expect((await invoke(wrapped.ListHosts, {}, anonymous)).err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(calls).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(await audit.list()).toEqual([]);
  });

  it("a callerOf that throws makes the caller anonymous", async () => {
    const audit = new AuditLog(auditDb());
    const wrapped = authorizeAdmin(
      { ListHosts: (_c, cb) => cb(null, { hosts: [] }) },
      () => {
        throw new Error("bad certificate");
      },
      audit,
      silentLogger(),
    );
    const r = await invoke(wrapped.ListHosts, {}, admin);
    expect(r.err).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining("the caller could not be identified: bad certificate"),
    });
  });

  it("viewer methods run for a viewer and are not audited", async () => {
    const { wrapped, audit, calls } = setup();
    expect((await invoke(wrapped.ListHosts, {}, viewer)).err).toBeNull();
    expect(calls).toEqual(["ListHosts"]);
    expect(await audit.list()).toEqual([]);
  });

  it("a handler answering twice is audited once and answers once", async () => {
    const audit = new AuditLog(auditDb());
    const cb = vi.fn();
    const wrapped = authorizeAdmin(
      { AcknowledgeFlap: (_c, reply) => (reply(null, { delivered: true }), reply(null, { delivered: false })) },
      callerOf,
      audit,
      silentLogger(),
    );
    wrapped.AcknowledgeFlap!(
      unaryCall({ host: "kvm01", resource: "" }, operator) as grpc.ServerUnaryCall<never, never>,
      cb,
    );
    expect(cb).toHaveBeenCalledTimes(1);
    expect(await audit.list()).toHaveLength(1);
  });

  it("an audit log that cannot be written does not change the call's answer", async () => {
    const broken = {
      append: () => {
        throw new Error("disk full");
      },
    };
    const log = silentLogger();
    const error = vi.spyOn(log, "error");
    const wrapped = authorizeAdmin(
      { AcknowledgeFlap: (_c, cb) => cb(null, { delivered: true }) },
      callerOf,
      broken,
      log,
    );
    expect((await invoke(wrapped.AcknowledgeFlap, { host: "h", resource: "" }, admin)).value).toEqual({
      delivered: true,
    });
    expect(error).toHaveBeenCalledWith(
      expect.objectContaining({ action: "flap.acknowledge", err: "disk full" }),
      expect.any(String),
    );
  });

  it("refuses to wrap a method that is not in the role table", async () => {
    expect(() =>
      authorizeAdmin(
        { Nope: () => undefined } as unknown as Partial<AdminServiceHandlers>,
        callerOf,
        new AuditLog(auditDb()),
        silentLogger(),
      ),
    ).toThrow(/Nope is not an AdminService method/);
  });

  it("a server-streaming method (WatchDrift) refuses a caller without the role by ending the stream with PERMISSION_DENIED", async () => {
    const watch = vi.fn();
    const wrapped = authorizeAdmin({ WatchDrift: watch }, callerOf, new AuditLog(auditDb()), silentLogger());
    const call = Object.assign(new EventEmitter(), { request: { host: "" }, caller: agent, getPeer: () => "peer" });
    const errors: unknown[] = [];
    call.on("error", (e) => errors.push(e));
    wrapped.WatchDrift!(call as unknown as grpc.ServerWritableStream<never, never>);
    expect(watch).not.toHaveBeenCalled();
    expect(errors).toEqual([expect.objectContaining({ code: grpc.status.PERMISSION_DENIED })]);
    const ok = Object.assign(new EventEmitter(), { request: { host: "" }, caller: viewer, getPeer: () => "peer" });
    wrapped.WatchDrift!(ok as unknown as grpc.ServerWritableStream<never, never>);
    expect(watch).toHaveBeenCalledTimes(1);
  });

  it("denial() words", async () => {
    expect(denial("CreateAdmin", "admin", operator)).toBe("CreateAdmin needs role admin; admin:olga has role operator");
    expect(denial("CreateAdmin", "admin", admin)).toBeNull();
    expect(denial("ListHosts", "viewer", viewer)).toBeNull();
  });
});

describe("authorizeAdmin over a real gRPC server", () => {
  it("PERMISSION_DENIED reaches the client for unary and streaming calls; allowed calls go through", async () => {
    // The caller comes from a metadata header here; the controller reads the client certificate.
    const byHeader = (call: AdminCall): Caller => {
      const role = call.metadata.get("x-role")[0];
      return role ? { kind: "admin", name: "t", role: role as "viewer" } : anonymous;
    };
    const audit = new AuditLog(auditDb());
    const server = new grpc.Server();
    const proto = fleetProto();
    server.addService(
      proto.AdminService.service,
      authorizeAdmin(
        {
          ListHosts: (_c, cb) => cb(null, { hosts: [] }),
          ControlRollout: (_c, cb) => cb(null, { found: false, statusJson: "" }),
          WatchDrift: (call) => call.end(),
        } satisfies Partial<AdminServiceHandlers>,
        byHeader,
        audit,
        silentLogger(),
      ) as grpc.UntypedServiceImplementation,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const client = new proto.AdminService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = (role?: string) => {
      const m = new grpc.Metadata();
      if (role) m.set("x-role", role);
      return m;
    };
    try {
      const unary = (role: string | undefined) =>
        new Promise<grpc.ServiceError | null>((resolve) =>
          client.ControlRollout({ policy: "web", action: "pause" }, md(role), (err) => resolve(err)),
        );
      expect((await unary("viewer"))?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect((await unary("viewer"))?.details).toBe("ControlRollout needs role operator; admin:t has role viewer");
      expect(await unary("operator")).toBeNull();
      expect((await unary(undefined))?.code).toBe(grpc.status.PERMISSION_DENIED);
      const stream = (role: string | undefined) =>
        new Promise<number>((resolve) => {
          const s = client.WatchDrift({ host: "" }, md(role));
          s.on("data", () => undefined);
          s.on("error", (e: grpc.ServiceError) => resolve(e.code));
          s.on("status", (st: grpc.StatusObject) => st.code === grpc.status.OK && resolve(st.code));
        });
      expect(await stream(undefined)).toBe(grpc.status.PERMISSION_DENIED);
      expect(await stream("viewer")).toBe(grpc.status.OK);
      expect(
        (await audit.list()).map((r) => [r.actor, r.action, JSON.parse(r.detailJson).denied ? "denied" : "done"]),
      ).toEqual([
        ["admin:t", "rollout.pause", "denied"],
        ["admin:t", "rollout.pause", "denied"],
        ["admin:t", "rollout.pause", "done"],
      ]);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
