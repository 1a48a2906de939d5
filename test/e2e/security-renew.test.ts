import * as grpc from "@grpc/grpc-js";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCsr, fileMode, keyPairFromPem, x509 } from "../../common/pki/index.js";
import { fleetProto } from "../../common/index.js";
import { stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import {
  createToken,
  readCredential,
  startSecureAgent,
  startSecureController,
  tlsCredentials,
  waitForSecureHost,
  type SecureController,
} from "../harness/secure-fleet.js";

const tmp = tempDir("vft-renew-");
let controller: SecureController;
let agent: Proc;
const state = join(tmp.path, "agent");
const tls = join(state, "tls");

/** Agent certificates live 20 s here: renewal is due after about 2/3 of that. */
const TTL = "20s";

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"), ["--agent-cert-ttl", TTL]);
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

function certOf(dir: string): x509.X509Certificate {
  return new x509.X509Certificate(readCredential(dir).certPem);
}

/** Renew with the credential in `dir`; resolves with the status code. */
async function renewStatus(dir: string): Promise<{ code: grpc.status; details: string }> {
  const cred = readCredential(dir);
  const csrPem = await createCsr(certOf(dir).subjectName.getField("CN")[0], await keyPairFromPem(cred.keyPem, "key"));
  const client = new (fleetProto().EnrollService)(controller.address, tlsCredentials(cred), {
    "grpc.use_local_subchannel_pool": 1,
  });
  return new Promise((resolve) => {
    client.Renew({ csrPem }, { deadline: new Date(Date.now() + 10_000) }, (err) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: "" });
    });
  });
}

describe("agent certificate renewal", () => {
  it("renews before expiry over mTLS and stays connected past the first certificate's end", async () => {
    const t = await createToken(controller);
    agent = startSecureAgent(controller, "r1", state, t.token);
    await waitFor(
      "r1 to enrol",
      () => (agent.stderr.includes("enrolled: certificate stored") ? true : undefined),
      15_000,
    );
    const first = certOf(tls);
    const old = join(tmp.path, "old");
    mkdirSync(old);
    for (const f of ["key.pem", "cert.pem", "ca.pem"]) copyFileSync(join(tls, f), join(old, f));
    expect(first.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(20_000);

    await waitFor(
      "the certificate to be renewed",
      () => (agent.stderr.includes("certificate renewed") ? true : undefined),
      25_000,
      200,
    );
    const second = certOf(tls);
    expect(second.serialNumber).not.toBe(first.serialNumber);
    expect(second.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
    expect(second.subject).toBe(first.subject);
    expect(fileMode(join(tls, "cert.pem"))).toBe(0o600);
    // renewed before the first one ended
    const renewedLog = agent.logs().find((l) => l.msg === "certificate renewed");
    expect(Number(renewedLog?.time)).toBeLessThan(first.notAfter.getTime());

    // past the first certificate's end the host is connected (with the renewed one)
    const wait = first.notAfter.getTime() + 2_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await waitForSecureHost(controller, "r1", true, 10_000);

    // an expired certificate cannot renew: the agent must enrol again with a token
    const refused = await renewStatus(old);
    expect(refused.code).toBe(grpc.status.UNAUTHENTICATED);
    // the current one can
    expect((await renewStatus(tls)).code).toBe(grpc.status.OK);
  });
});
