import { describe, expect, it } from "vitest";
import { fleetProto } from "../../../common/index.js";
import { isSecretKey } from "../../../controller/audit/index.js";
import { ADMIN_METHOD_ROLES, isMutating, MUTATING_ACTIONS, roleFor } from "../../../controller/auth/index.js";

const res0 = { token: "t", expiresAt: "2026-01-01T00:00:00.000Z" };

const methods = Object.keys(fleetProto().AdminService.service).sort();

describe("the role table", () => {
  it("covers every AdminService method, and nothing else", () => {
    expect(methods.length).toBeGreaterThan(10);
    for (const m of methods)
      expect(roleFor(m), `${m} is missing from ADMIN_METHOD_ROLES (controller/auth/roles.ts)`).toBeDefined();
    expect(Object.keys(ADMIN_METHOD_ROLES).sort()).toEqual(methods);
  });

  it("gives each method the role the design says", () => {
    const byRole = (role: string) => methods.filter((m) => roleFor(m) === role).sort();
    expect(byRole("viewer")).toEqual([
      "Compliance",
      "CreateWebSignIn",
      "GetHost",
      "ListAudit",
      "ListDrift",
      "ListHosts",
      "ListPolicies",
      "Plan",
      "RolloutStatus",
      "VerifyAudit",
      "WatchDrift",
    ]);
    expect(byRole("operator")).toEqual(["AcknowledgeFlap", "ControlRollout", "PushPolicies", "Resync"]);
    expect(byRole("admin")).toEqual(["CreateAdmin", "CreateToken", "RemoveHost", "RevokeCertificate"]);
  });

  it("audits exactly the methods above viewer, and the dashboard sign-in (it issues a credential)", () => {
    for (const m of methods) expect(isMutating(m), m).toBe(roleFor(m) !== "viewer" || m === "CreateWebSignIn");
    expect(roleFor("toString")).toBeUndefined();
    expect(roleFor("constructor")).toBeUndefined();
  });
});

describe("what mutating calls record", () => {
  it("rollout control: rollout.<action> on the policy", () => {
    expect(MUTATING_ACTIONS.ControlRollout({ policy: "web", action: "pause", reason: "latency" })).toEqual({
      action: "rollout.pause",
      target: "web",
      detail: { reason: "latency" },
    });
    expect(MUTATING_ACTIONS.ControlRollout({ policy: "web", action: "DROP TABLE", reason: "" })).toEqual({
      action: "rollout.invalid",
      target: "web",
      detail: { requested: "DROP TABLE" },
    });
  });

  it("flap.acknowledge on the host", () => {
    expect(MUTATING_ACTIONS.AcknowledgeFlap({ host: "kvm01", resource: "" })).toEqual({
      action: "flap.acknowledge",
      target: "kvm01",
      detail: { resource: "*" },
    });
  });

  it("token.create on the host, the pattern or *, never the token", () => {
    const res = { token: "vft1.SECRET", expiresAt: "2026-01-01T01:00:00.000Z" };
    const any = MUTATING_ACTIONS.CreateToken({ ttlMs: 0, host: "", pattern: "", uses: 0 }, res);
    expect(any).toEqual({
      action: "token.create",
      target: "*",
      detail: { ttlMs: 0, uses: 1, expiresAt: res.expiresAt },
    });
    expect(JSON.stringify(any)).not.toContain("SECRET");
    expect(MUTATING_ACTIONS.CreateToken({ ttlMs: 60_000, host: "kvm01", pattern: "", uses: 2 }).target).toBe("kvm01");
    expect(MUTATING_ACTIONS.CreateToken({ ttlMs: 0, host: "", pattern: "kvm[01:04]", uses: 0 }).target).toBe(
      "kvm[01:04]",
    );
  });

  it("cert.revoke on the host; admin.create on name:role, never the key", () => {
    expect(
      MUTATING_ACTIONS.RevokeCertificate(
        { host: "kvm01", reason: "stolen", admin: "" },
        { revoked: 2, disconnected: true },
      ),
    ).toEqual({
      action: "cert.revoke",
      target: "kvm01",
      detail: { reason: "stolen", revoked: 2, disconnected: true },
    });
    const a = MUTATING_ACTIONS.CreateAdmin(
      { name: "ann", role: "operator", csrPem: "" },
      {
        certificatePem: "C",
        caPem: "CA",
        keyPem: "-----BEGIN PRIVATE KEY-----x",
        notAfter: "2027-01-01T00:00:00.000Z",
      },
    );
    expect(a).toEqual({
      action: "admin.create",
      target: "ann:operator",
      detail: { name: "ann", role: "operator", csr: false, notAfter: "2027-01-01T00:00:00.000Z" },
    });
    // Every key a describer writes survives redaction: no detail is lost to an unlucky name.
    for (const d of [
      a.detail,
      MUTATING_ACTIONS.CreateToken({ ttlMs: 1, host: "h", pattern: "p", uses: 1 }, res0).detail,
    ]) {
      for (const k of Object.keys(d)) expect(isSecretKey(k), k).toBe(false);
    }
  });
});
