import * as grpc from "@grpc/grpc-js";
import type { Command } from "commander";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAdminCommands, adminNameArg } from "../../../cli/commands/admin.js";
import { auditLimitArg, registerAuditCommand } from "../../../cli/commands/audit.js";
import { fleetProto } from "../../../common/index.js";
import { verifyCsr } from "../../../common/pki/index.js";
import { bindLoopback, runInProcess } from "./in-process.js";

const RECORDS = [1, 2, 3].map((seq) => ({
  seq,
  at: `2026-03-01T10:00:0${seq}.000Z`,
  actor: "insecure",
  action: "rollout.pause",
  target: `p${seq}`,
  detailJson: "{}",
  hash: "a".repeat(64),
  prevHash: "0".repeat(64),
}));
const listed: { limit: number; since: string }[] = [];
const created: { name: string; role: string; csrCn: string }[] = [];
let verifyAnswer = { ok: true, checked: 3, firstBadSeq: 0, problem: "" };
let server: grpc.Server;
let address: string;
const tmp = mkdtempSync(join(tmpdir(), "vft-admin-cli-"));

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(fleetProto().AdminService.service, {
    ListAudit: (
      call: grpc.ServerUnaryCall<{ limit: number; since: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      listed.push({ ...call.request });
      cb(null, { records: RECORDS.slice(-call.request.limit) });
    },
    VerifyAudit: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, verifyAnswer),
    CreateAdmin: (
      call: grpc.ServerUnaryCall<{ name: string; role: string; csrPem: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const { name, role, csrPem } = call.request;
      if (name === "denied")
        return cb({
          code: grpc.status.PERMISSION_DENIED,
          details: "CreateAdmin needs role admin; admin:olga has role operator",
        });
      verifyCsr(csrPem).then(
        (csr) => {
          created.push({ name, role, csrCn: csr.commonName });
          cb(null, {
            certificatePem: "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n",
            caPem: "CA PEM\n",
            keyPem: "",
            notAfter: "2027-03-01T00:00:00.000Z",
          });
        },
        (err: Error) => cb({ code: grpc.status.INVALID_ARGUMENT, details: err.message }),
      );
    },
  });
  address = await bindLoopback(server);
});
afterAll(() => {
  server.forceShutdown();
  rmSync(tmp, { recursive: true, force: true });
});

const register = (p: Command) => (registerAuditCommand(p), registerAdminCommands(p));
const run = (...args: string[]) => runInProcess(register, address, args);

describe("virtfleet audit", () => {
  it("lists as a table (default limit 100) or JSON", async () => {
    const t = await run("audit");
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(
      /^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET\n1\s+2026-03-01 10:00:01Z\s+insecure\s+rollout\.pause\s+p1\n/,
    );
    expect(listed.at(-1)).toEqual({ limit: 100, since: "" });
    const j = await run("audit", "--json", "--limit", "2", "--since", "2026-02-01T00:00:00Z");
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout).map((r: { seq: number }) => r.seq)).toEqual([2, 3]);
    expect(listed.at(-1)).toEqual({ limit: 2, since: "2026-02-01T00:00:00.000Z" });
    const before = Date.now();
    await run("audit", "--since", "2h");
    const since = Date.parse(listed.at(-1)!.since);
    expect(since).toBeGreaterThanOrEqual(before - 2 * 3_600_000 - 1_000);
    expect(since).toBeLessThanOrEqual(Date.now() - 2 * 3_600_000 + 1_000);
  });

  it("bad --limit or --since exits 2", async () => {
    expect(() => auditLimitArg("0")).toThrow(/--limit/);
    expect(() => auditLimitArg("1e3")).toThrow(/--limit/);
    expect(auditLimitArg("10000")).toBe(10_000);
    expect((await run("audit", "--limit", "-3")).code).toBe(2);
    expect((await run("audit", "--since", "yesterday")).code).toBe(2);
  });

  it("--verify: intact exits 0; broken names the record and exits 1", async () => {
    verifyAnswer = { ok: true, checked: 3, firstBadSeq: 0, problem: "" };
    expect(await run("audit", "--verify")).toMatchObject({ code: 0, stdout: "audit log intact: 3 records\n" });
    verifyAnswer = {
      ok: false,
      checked: 2,
      firstBadSeq: 2,
      problem: "record 2 was modified: its hash does not match its content",
    };
    const bad = await run("audit", "--verify");
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("record 2 does not verify");
    const j = await run("audit", "--verify", "--json");
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toEqual({ ok: false, checked: 2, firstBadSeq: 2, problem: verifyAnswer.problem });
  });
});

describe("virtfleet admin create", () => {
  it("makes the key locally, sends a CSR for CN=NAME, writes key/cert/ca 0600", async () => {
    const out = join(tmp, "ann");
    const r = await run("admin", "create", "ann", "--role", "operator", "--out", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(created.at(-1)).toEqual({ name: "ann", role: "operator", csrCn: "ann" });
    expect(r.stdout).toContain("admin ann (operator) created, valid until 2027-03-01T00:00:00.000Z");
    expect(r.stdout).toContain(`--data ${out}`);
    for (const f of ["key.pem", "cert.pem", "ca.pem"]) expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(out, "key.pem"), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(join(out, "cert.pem"), "utf8")).toContain("CERT");
    expect(readFileSync(join(out, "ca.pem"), "utf8")).toBe("CA PEM\n");
  });

  it("--json prints where the files are", async () => {
    const out = join(tmp, "bot");
    const r = await run("admin", "create", "ci-bot", "--role", "viewer", "--out", out, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      name: "ci-bot",
      role: "viewer",
      dir: out,
      files: { key: join(out, "key.pem"), cert: join(out, "cert.pem"), ca: join(out, "ca.pem") },
      notAfter: "2027-03-01T00:00:00.000Z",
    });
  });

  it("refuses to overwrite credentials already in --out (exit 2, nothing asked)", async () => {
    const out = join(tmp, "taken");
    mkdirSync(out);
    writeFileSync(join(out, "key.pem"), "old key");
    const n = created.length;
    const r = await run("admin", "create", "ann", "--role", "admin", "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds .*key\.pem/);
    expect(created.length).toBe(n);
    expect(readFileSync(join(out, "key.pem"), "utf8")).toBe("old key");
  });

  it("a bad name or role exits 2; a missing --role too", async () => {
    expect(() => adminNameArg("Ann")).toThrow(/invalid admin name/);
    expect(() => adminNameArg("insecure")).toThrow(/reserved/);
    expect((await run("admin", "create", "Ann", "--role", "viewer", "--out", join(tmp, "x"))).code).toBe(2);
    const role = await run("admin", "create", "ann", "--role", "root", "--out", join(tmp, "x"));
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/--role must be one of viewer, operator, admin/);
    expect((await run("admin", "create", "ann", "--out", join(tmp, "x"))).code).toBe(2);
    expect(existsSync(join(tmp, "x"))).toBe(false);
  });

  it("PERMISSION_DENIED exits 4 (refused) with the controller's reason and writes nothing", async () => {
    const out = join(tmp, "denied");
    const r = await run("admin", "create", "denied", "--role", "admin", "--out", out);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      "virtfleet: creating admin denied: permission denied: CreateAdmin needs role admin; admin:olga has role operator\n",
    );
    expect(existsSync(out)).toBe(false);
  });
});
