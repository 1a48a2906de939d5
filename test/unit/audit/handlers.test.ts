import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger, ValidationError } from "../../../common/index.js";
import {
  auditAdminHandlers,
  issueAdminWithoutCa,
  validateCreateAdmin,
  type IssueAdmin,
} from "../../../controller/admin/index.js";
import { AuditLog } from "../../../controller/audit/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { dropTriggersOn } from "./audit-db.js";

type Answer = { err: Partial<grpc.StatusObject> | null; value: any };

function call(handler: unknown, request: unknown): Promise<Answer> {
  return new Promise((resolve) =>
    (handler as grpc.handleUnaryCall<unknown, unknown>)(
      { request } as grpc.ServerUnaryCall<unknown, unknown>,
      (err, value) => resolve({ err, value }),
    ),
  );
}

const CSR =
  "-----BEGIN CERTIFICATE REQUEST-----\nMIIBAzCBqgIBADAOMQwwCgYDVQQDDANhbm4=\n-----END CERTIFICATE REQUEST-----\n";

const opened: TestStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
}, 60_000);

async function setup(
  engine: (typeof ENGINES)[number],
  issueAdmin: IssueAdmin = async () => ({
    certificatePem: "CERT",
    caPem: "CA",
    keyPem: "KEY",
    notAfter: new Date("2027-01-01T00:00:00Z"),
  }),
) {
  const store = await openTestStore(engine);
  opened.push(store);
  const db = store.db;
  let t = Date.parse("2026-03-01T10:00:00.000Z");
  const audit = new AuditLog(db, () => (t += 60_000));
  const issue = vi.fn(issueAdmin);
  return { db, audit, issue, h: auditAdminHandlers({ audit, issueAdmin: issue, log: silentLogger() }) };
}

describe.each(ENGINES)("audit handlers (%s)", { timeout: 60_000 }, (engine) => {
  describe("ListAudit and VerifyAudit", () => {
    it("lists records as the proto's AuditRecord, newest `limit` since a time", async () => {
      const { audit, h } = await setup(engine);
      for (const p of ["a", "b", "c"]) audit.append({ actor: "admin:ann", action: "rollout.pause", target: p });
      const all = await call(h.ListAudit, { limit: 0, since: "" });
      expect(all.value.records.map((r: { target: string }) => r.target)).toEqual(["a", "b", "c"]);
      expect(all.value.records[0]).toEqual({
        seq: 1,
        at: "2026-03-01T10:01:00.000Z",
        actor: "admin:ann",
        action: "rollout.pause",
        target: "a",
        detailJson: "{}",
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prevHash: "0".repeat(64),
      });
      expect(
        (await call(h.ListAudit, { limit: 1, since: "" })).value.records.map((r: { seq: number }) => r.seq),
      ).toEqual([3]);
      expect(
        (await call(h.ListAudit, { limit: 0, since: "2026-03-01T10:02:00Z" })).value.records.map(
          (r: { seq: number }) => r.seq,
        ),
      ).toEqual([2, 3]);
      const bad = await call(h.ListAudit, { limit: 0, since: "yesterday" });
      expect(bad.err).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('since "yesterday"'),
      });
    });

    it("verify answers ok, or the first bad seq and the problem", async () => {
      const { db, audit, h } = await setup(engine);
      for (let i = 0; i < 4; i++) audit.append({ actor: "controller", action: "policy.revision", target: `p${i}` });
      expect((await call(h.VerifyAudit, {})).value).toEqual({ ok: true, checked: 4, firstBadSeq: 0, problem: "" });
      await dropTriggersOn(db);
      await db.run("UPDATE audit_log SET target = 'x' WHERE seq = 2");
      expect((await call(h.VerifyAudit, {})).value).toEqual({
        ok: false,
        checked: 2,
        firstBadSeq: 2,
        problem: "record 2 was modified: its hash does not match its content",
      });
    });
  });

  describe("CreateAdmin", () => {
    it("validates name, role and CSR before asking the CA", () => {
      expect(validateCreateAdmin({ name: "ann", role: "operator", csrPem: "" })).toBe("operator");
      expect(validateCreateAdmin({ name: "a-0", role: "viewer", csrPem: CSR })).toBe("viewer");
      for (const name of ["", "Ann", "1ann", "ann_b", "a".repeat(64), "ann\n"])
        expect(() => validateCreateAdmin({ name, role: "admin", csrPem: "" }), name).toThrow(ValidationError);
      expect(() => validateCreateAdmin({ name: "insecure", role: "admin", csrPem: "" })).toThrow(/reserved/);
      expect(() => validateCreateAdmin({ name: "ann", role: "root", csrPem: "" })).toThrow(
        /role "root" is invalid; use one of viewer, operator, admin/,
      );
      expect(() => validateCreateAdmin({ name: "ann", role: "admin", csrPem: "garbage" })).toThrow(/csr_pem/);
    });

    it("issues through the injected CA: with a CSR no key comes back", async () => {
      const { h, issue } = await setup(engine);
      const r = await call(h.CreateAdmin, { name: "ann", role: "operator", csrPem: CSR });
      expect(r.err).toBeNull();
      expect(issue).toHaveBeenCalledWith("ann", "operator", CSR);
      expect(r.value).toEqual({
        certificatePem: "CERT",
        caPem: "CA",
        keyPem: "",
        notAfter: "2027-01-01T00:00:00.000Z",
      });
    });

    it("without a CSR the controller's key is returned", async () => {
      const { h, issue } = await setup(engine);
      const r = await call(h.CreateAdmin, { name: "bob", role: "viewer", csrPem: "" });
      expect(issue).toHaveBeenCalledWith("bob", "viewer", undefined);
      expect(r.value.keyPem).toBe("KEY");
    });

    it("bad input is INVALID_ARGUMENT without asking the CA; a CA failure is INTERNAL (ValidationError from it INVALID_ARGUMENT)", async () => {
      const { h, issue } = await setup(engine);
      expect((await call(h.CreateAdmin, { name: "Bad Name", role: "viewer", csrPem: "" })).err?.code).toBe(
        grpc.status.INVALID_ARGUMENT,
      );
      expect(issue).not.toHaveBeenCalled();
      const failing = await setup(engine, async () => {
        throw new Error("CA key unreadable");
      });
      expect((await call(failing.h.CreateAdmin, { name: "ann", role: "viewer", csrPem: "" })).err).toMatchObject({
        code: grpc.status.INTERNAL,
        details: expect.stringContaining("CA key unreadable"),
      });
      const refusing = await setup(engine, async () => {
        throw new ValidationError("the CSR's signature does not match its key");
      });
      expect((await call(refusing.h.CreateAdmin, { name: "ann", role: "viewer", csrPem: CSR })).err).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
    });

    it("a controller without a CA (--insecure) answers FAILED_PRECONDITION saying so", async () => {
      const { h } = await setup(engine, issueAdminWithoutCa);
      expect((await call(h.CreateAdmin, { name: "ann", role: "viewer", csrPem: "" })).err).toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details: expect.stringContaining("--insecure"),
      });
    });
  });
});
