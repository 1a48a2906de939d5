import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAdminCommands } from "../../../cli/commands/admin.js";
import { fleetProto, silentLogger } from "../../../common/index.js";
import { keyMatchesCertificate, keyPairFromPem, x509 } from "../../../common/pki/index.js";
import { auditAdminHandlers } from "../../../controller/admin/index.js";
import { AuditLog } from "../../../controller/audit/index.js";
import { authorizeAdmin, INSECURE_CALLER } from "../../../controller/auth/index.js";
import { ControllerPki, issueAdminCertificate } from "../../../controller/pki/index.js";
import { secretFile, tempDir } from "../../harness/processes.js";
import { bindLoopback, runInProcess } from "../cli/in-process.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// `virtfleet admin create` against CreateAdmin wired the way the controller wires it: the
// real CA (controller/pki), behind authorizeAdmin, into the audit log.
describe.each(ENGINES)("%s store", (engine) => {
  const dir = tempDir("vft-admin-create-");
  let store: TestStore;
  let server: grpc.Server;
  let address: string;
  let pki: ControllerPki;
  let audit: AuditLog;

  beforeAll(async () => {
    store = await openTestStore(engine);
    const db = store.db;
    // PostgreSQL: the replicas' shared CA, sealed with a store key file (docs/postgres.md)
    const ca = engine === "postgres" ? { storeKeyFile: secretFile(dir.path, "store.key", randomBytes(32)) } : undefined;
    pki = await ControllerPki.open({ dataDir: join(dir.path, "controller"), db, listenHost: "127.0.0.1", ca });
    audit = new AuditLog(db);
    const log = silentLogger();
    const handlers = auditAdminHandlers({
      audit,
      log,
      issueAdmin: (name, role, csrPem) => issueAdminCertificate(pki, { name, role, csrPem }),
    });
    server = new grpc.Server();
    server.addService(
      fleetProto().AdminService.service,
      authorizeAdmin(handlers, () => INSECURE_CALLER, audit, log) as grpc.UntypedServiceImplementation,
    );
    address = await bindLoopback(server);
  }, 60_000);
  afterAll(async () => {
    server.forceShutdown();
    dir.cleanup();
    await store.close();
  }, 60_000);

  describe("admin create with the controller's CA", { timeout: 60_000 }, () => {
    it("writes a key the certificate is for, the role in the certificate, the CA; audited without the key", async () => {
      const out = join(dir.path, "ann");
      const r = await runInProcess(registerAdminCommands, address, [
        "admin",
        "create",
        "ann",
        "--role",
        "operator",
        "--out",
        out,
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const cert = new x509.X509Certificate(readFileSync(join(out, "cert.pem"), "utf8"));
      expect(cert.subjectName.getField("CN")).toEqual(["ann"]);
      expect(cert.subjectName.getField("OU")).toEqual(["operator"]);
      const keyPem = readFileSync(join(out, "key.pem"), "utf8");
      expect(await keyMatchesCertificate(await keyPairFromPem(keyPem, "key.pem"), cert)).toBe(true);
      expect(readFileSync(join(out, "ca.pem"), "utf8")).toBe(pki.caPem);
      expect(pki.verifyPeer(new Uint8Array(cert.rawData))).toMatchObject({
        ok: true,
        identity: { kind: "admin", name: "ann", role: "operator" },
      });
      const [rec] = await audit.list();
      expect(rec).toMatchObject({ actor: "insecure", action: "admin.create", target: "ann:operator" });
      expect(JSON.parse(rec!.detailJson)).toMatchObject({
        name: "ann",
        role: "operator",
        csr: true,
        notAfter: expect.any(String),
      });
      expect(rec!.detailJson).not.toContain("PRIVATE KEY");
    });
  });
});
