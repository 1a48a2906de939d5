import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../common/index.js";
import {
  auditPolicyChanges,
  AuditLog,
  controllerAuditEvents,
  enrolmentAuditEvents,
} from "../../../controller/audit/index.js";
import type { EnrollEvents } from "../../../controller/enroll/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

describe.each(ENGINES)("controller audit events (%s)", { timeout: 60_000 }, (engine) => {
  const opened: TestStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  }, 60_000);
  /** An AuditLog on a fresh store of this engine. */
  async function auditLog(): Promise<AuditLog> {
    const store = await openTestStore(engine);
    opened.push(store);
    return new AuditLog(store.db);
  }

  it("records policy revisions and removals from a repository's changes, as the controller", async () => {
    const audit = await auditLog();
    let listener:
      | ((c: { created: string[]; removed: string[] }, origin?: "folder" | "push" | "store") => void)
      | undefined;
    const repo = {
      onChange: (l: typeof listener) => ((listener = l), () => (listener = undefined)),
      revisions: () => [
        { policy: "web", revision: "r2", generation: 2 },
        { policy: "db", revision: "r1", generation: 1 },
      ],
    };
    const stop = auditPolicyChanges(repo, controllerAuditEvents(audit, silentLogger()));
    // a change another replica made, followed here: that replica records it, not this one
    listener!({ created: ["web"], removed: ["old"] }, "store");
    expect(await audit.list()).toEqual([]);
    listener!({ created: ["web"], removed: ["old"] }, "folder");
    expect(await audit.list()).toMatchObject([
      { actor: "controller", action: "policy.revision", target: "web", detailJson: '{"generation":2,"revision":"r2"}' },
      { actor: "controller", action: "policy.remove", target: "old" },
    ]);
    stop();
    expect(listener).toBeUndefined();
  });

  it("records enrolment and revocation; never throws when the log cannot be written", async () => {
    const audit = await auditLog();
    const events = controllerAuditEvents(audit, silentLogger());
    events.hostEnrolled("kvm01", { serial: "0a", token: "vft1.secret" });
    events.certRevoked("kvm01", { reason: "renewed" });
    expect(await audit.list()).toMatchObject([
      {
        actor: "controller",
        action: "host.enrol",
        target: "kvm01",
        detailJson: '{"serial":"0a","token":"[redacted]"}',
      },
      { actor: "controller", action: "cert.revoke", target: "kvm01" },
    ]);
    const enrol: EnrollEvents = enrolmentAuditEvents(events);
    enrol.onEnrolled!({
      host: "kvm02",
      serial: "0b",
      notAfter: "2027-01-01T00:00:00.000Z",
      peer: "ipv4:10.0.0.2:5000",
    });
    enrol.onRenewed!({ host: "kvm02", serial: "0c", notAfter: "2027-02-01T00:00:00.000Z", peer: "ipv4:10.0.0.2:5001" });
    expect((await audit.list()).slice(2)).toMatchObject([
      {
        actor: "controller",
        action: "host.enrol",
        target: "kvm02",
        detailJson: '{"notAfter":"2027-01-01T00:00:00.000Z","peer":"ipv4:10.0.0.2:5000","serial":"0b"}',
      },
      { actor: "agent:kvm02", action: "cert.renew", target: "kvm02" },
    ]);
    const log = silentLogger();
    const error = vi.spyOn(log, "error");
    const broken = controllerAuditEvents(
      {
        append: () => {
          throw new Error("disk full");
        },
      },
      log,
    );
    expect(() => broken.policyRevision({ policy: "p", revision: "r", generation: 1 })).not.toThrow();
    expect(error).toHaveBeenCalledOnce();
  });
});
