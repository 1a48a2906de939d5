import * as grpc from "@grpc/grpc-js";
import { connect, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverCredentials } from "../../../common/grpc/credentials.js";
import { generateKeyPair, privateKeyToPem } from "../../../common/pki/index.js";
import { CertificateAuthority } from "../../../controller/pki/index.js";
import { tempDir } from "../../harness/processes.js";

const dir = tempDir("vft-server-creds-");
let server: grpc.Server;
let port: number;
let caPem: string;

beforeAll(async () => {
  const ca = await CertificateAuthority.open(dir.path);
  caPem = ca.certPem;
  const keys = await generateKeyPair();
  const cert = await ca.issue({
    subject: "CN=virtfleet-controller, O=virtfleet-controller",
    publicKey: keys.publicKey,
    ttlMs: 60_000,
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  server = new grpc.Server();
  const credentials = serverCredentials({
    insecure: false,
    tls: { caPem, certPem: cert.toString("pem"), keyPem: await privateKeyToPem(keys.privateKey) },
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
});
afterAll(() => {
  server?.forceShutdown();
  dir.cleanup();
});

describe("the controller's TLS listener", () => {
  it("completes a TLS 1.3 handshake without encrypting session tickets (SSL_OP_NO_TICKET)", async () => {
    const tickets: Buffer[] = [];
    const socket: TLSSocket = await new Promise((resolve, reject) => {
      const s = connect(
        {
          host: "127.0.0.1",
          port,
          ca: caPem,
          servername: "",
          checkServerIdentity: () => undefined,
          ALPNProtocols: ["h2"],
        },
        () => resolve(s),
      );
      s.on("session", (t: Buffer) => tickets.push(t));
      s.on("error", reject);
    });
    expect(socket.getProtocol()).toBe("TLSv1.3");
    // TLS 1.3 tickets arrive right after the handshake. With SSL_OP_NO_TICKET OpenSSL sends
    // stateful ones: a bare session id (32 bytes), not the encrypted session (~240 bytes).
    socket.write(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    await new Promise((r) => setTimeout(r, 300));
    const ticket = socket.getTLSTicket();
    socket.destroy();
    expect(tickets.length).toBeGreaterThan(0);
    expect(ticket?.length).toBeLessThanOrEqual(48);
  });
});
