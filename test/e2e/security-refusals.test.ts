import * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair, privateKeyToPem } from "../../common/pki/index.js";
import { CertificateAuthority } from "../../controller/pki/index.js";
import { runCli, spawnCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import {
  createToken,
  helloStatus,
  listHostsStatus,
  readCredential,
  secureHosts,
  startSecureAgent,
  startSecureController,
  tlsCredentials,
  type SecureController,
} from "../harness/secure-fleet.js";

// Peers a secure controller must refuse: foreign certificates, the wrong kind of certificate,
// a Hello for another host, plaintext; and --insecure's own limits.

const tmp = tempDir("vft-refuse-");
let controller: SecureController;
const agentState = join(tmp.path, "agent-h1");

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"));
  const agent = startSecureAgent(controller, "h1", agentState, (await createToken(controller)).token);
  await waitFor("h1 to connect", () => (agent.stderr.includes("connected to controller") ? true : undefined), 20_000);
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

describe("a controller without --insecure refuses", () => {
  it("certificates of another CA, on the agent stream and the admin API", async () => {
    const otherCa = await CertificateAuthority.open(join(tmp.path, "other-ca"));
    const keys = await generateKeyPair();
    const keyPem = await privateKeyToPem(keys.privateKey);
    const caPem = readCredential(join(controller.dataDir, "admin")).caPem;
    const fakeAgent = await otherCa.issue({
      subject: "CN=h1, O=virtfleet-agent",
      publicKey: keys.publicKey,
      ttlMs: 3_600_000,
      usage: "client",
    });
    const fakeAdmin = await otherCa.issue({
      subject: "CN=admin, O=virtfleet-admin, OU=admin",
      publicKey: keys.publicKey,
      ttlMs: 3_600_000,
      usage: "client",
    });
    const asAgent = tlsCredentials({ caPem, keyPem, certPem: fakeAgent.toString("pem") });
    const asAdmin = tlsCredentials({ caPem, keyPem, certPem: fakeAdmin.toString("pem") });
    const hello = await helloStatus(controller.address, asAgent, "h1");
    expect(hello).toMatchObject({ code: grpc.status.UNAUTHENTICATED, welcomed: false });
    expect((await listHostsStatus(controller.address, asAdmin)).code).toBe(grpc.status.UNAUTHENTICATED);
    // no certificate at all: Enroll only
    expect((await listHostsStatus(controller.address, tlsCredentials({ caPem }))).code).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    expect(await secureHosts(controller)).toContainEqual(expect.objectContaining({ name: "h1", connected: true }));
  });

  it("an agent certificate acting as admin, nor an admin certificate as an agent", async () => {
    const agentCreds = tlsCredentials(readCredential(join(agentState, "tls")));
    const admin = tlsCredentials(readCredential(join(controller.dataDir, "admin")));
    expect((await listHostsStatus(controller.address, agentCreds)).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await listHostsStatus(controller.address, admin)).code).toBe(grpc.status.OK);
    expect((await helloStatus(controller.address, admin, "admin")).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it("(PERMISSION_DENIED, logged) a Hello naming another host than the certificate", async () => {
    const h1 = tlsCredentials(readCredential(join(agentState, "tls")));
    const r = await helloStatus(controller.address, h1, "someone-else");
    expect(r).toMatchObject({ code: grpc.status.PERMISSION_DENIED, welcomed: false });
    expect(r.details).toMatch(/certificate is for "h1"/);
    expect(
      controller.proc.logs().some((l) => /hello names another host/.test(l.msg) && l.helloHost === "someone-else"),
    ).toBe(true);
    // the real h1 was not disturbed
    expect(await secureHosts(controller)).toContainEqual(expect.objectContaining({ name: "h1", connected: true }));
    expect(await secureHosts(controller)).not.toContainEqual(expect.objectContaining({ name: "someone-else" }));
  });

  it("plaintext: an insecure client, and the CLI without credentials", async () => {
    expect((await listHostsStatus(controller.address, grpc.credentials.createInsecure())).code).toBe(
      grpc.status.UNAVAILABLE,
    );
    const plain = await runCli(["hosts", "--controller", controller.address, "--insecure"]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/cannot reach the controller/);
    const noCred = await runCli(["hosts", "--controller", controller.address, "--data", join(tmp.path, "nowhere")]);
    expect(noCred.code).toBe(2);
    expect(noCred.stderr).toMatch(/no admin credential in/);
    const env = await runCli(["hosts", "--json", "--controller", controller.address], {
      VIRTFLEET_DATA: controller.dataDir,
    });
    expect(env.code, env.stderr).toBe(0);
  });
});

describe("--insecure", () => {
  it("refuses a non-loopback listen address with a clear error", async () => {
    const r = await runCli([
      "controller",
      "--listen",
      "0.0.0.0:0",
      "--data",
      join(tmp.path, "insecure-any"),
      "--insecure",
      "--policies",
      join(tmp.path, "controller", "policies"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--insecure refuses to listen on 0\.0\.0\.0/);
  });

  it("is needed to talk to a plaintext controller, and warns on start", async () => {
    const proc = spawnCli([
      "controller",
      "--listen",
      "127.0.0.1:0",
      "--data",
      join(tmp.path, "plain"),
      "--insecure",
      "--policies",
      join(tmp.path, "controller", "policies"),
    ]);
    const address = await waitFor(
      "plaintext controller",
      () => /listening on (\S+)/.exec(proc.stdout)?.[1],
      15_000,
      50,
    );
    expect(proc.stderr).toMatch(/WARNING: --insecure/);
    const secureCli = await runCli(["hosts", "--controller", address, "--data", controller.dataDir]);
    expect(secureCli.code).toBe(1);
    expect(secureCli.stderr).toMatch(/TLS|handshake|cannot reach/);
    const plainCli = await runCli(["hosts", "--json", "--controller", address, "--insecure"]);
    expect(plainCli.code).toBe(0);
    await proc.stop();
  });
});
