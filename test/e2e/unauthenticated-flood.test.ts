/**
 * Unauthenticated connections are closed (issue 21 item 15), against a real mTLS controller:
 * 1,000 connections from 127.0.0.2–127.0.0.21 (50 per address: the per-address limit of
 * 1,000 would otherwise refuse the real agent on 127.0.0.1 by design) complete the TLS
 * handshake without a client certificate and then send nothing useful — a third stay idle,
 * a third send half an HTTP/2 preface, a third open an Enroll stream and never send its
 * message. The controller holds at most 500 unauthenticated connections
 * (`--max-unauthenticated-connections 500`: past it the oldest is closed). Then an enrolled
 * agent's Hello and an admin's ListHosts each succeed within 2 s, a real agent process
 * reconnects and the real CLI answers; and every hostile connection is closed by the
 * controller within its unauthenticated deadline (10 s) plus slack.
 * No libvirt object is created (no policy).
 */
import * as grpc from "@grpc/grpc-js";
import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createToken,
  helloStatus,
  listHostsStatus,
  readCredential,
  secureHosts,
  startSecureAgent,
  startSecureController,
  tlsCredentials,
  waitForSecureHost,
  type SecureController,
} from "../harness/secure-fleet.js";
import { stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { testPrefix } from "../harness/virsh.js";

const prefix = testPrefix();
const data = tempDir("vft-unauth-flood-");
const host = `${prefix}host`;
const stateDir = join(data.path, "agent");
let controller: SecureController;
let agent: Proc;

const HOSTILE = 1_000;
const ADDRESSES = 20;
const UNAUTHENTICATED_CAP = 500;

interface Hostile {
  kind: "idle" | "half-preface" | "enroll-stream";
  /** Set once the connection is closed. */
  closed: { at: number | null };
  destroy(): void;
}
const hostile: Hostile[] = [];

beforeAll(async () => {
  controller = await startSecureController(join(data.path, "controller"), [
    "--max-unauthenticated-connections",
    String(UNAUTHENTICATED_CAP),
  ]);
  const { token } = await createToken(controller);
  agent = startSecureAgent(controller, host, stateDir, token);
  await waitForSecureHost(controller, host, true);
  await agent.stop();
  await waitForSecureHost(controller, host, false);
});

afterAll(async () => {
  for (const h of hostile) h.destroy();
  await stopAll();
  data.cleanup();
});

/** A TLS connection from `localAddress` without a client certificate; resolves once the handshake is done. */
function tlsWithoutCert(localAddress: string, alpn: string[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      socket: netConnect({ host: "127.0.0.1", port: controller.port, localAddress }),
      rejectUnauthorized: false,
      ALPNProtocols: alpn,
    });
    s.once("secureConnect", () => resolve(s));
    s.once("error", reject);
  });
}

function closedAt(emitter: { once(e: "close", f: () => void): unknown }): { at: number | null } {
  const state: { at: number | null } = { at: null };
  emitter.once("close", () => {
    state.at = Date.now();
  });
  return state;
}

async function openHostile(i: number): Promise<Hostile> {
  const localAddress = `127.0.0.${2 + (i % ADDRESSES)}`;
  const kind = (["idle", "half-preface", "enroll-stream"] as const)[i % 3];
  if (kind !== "enroll-stream") {
    const s = await tlsWithoutCert(localAddress, ["h2"]);
    s.on("error", () => undefined);
    s.resume(); // read what the server sends, so its close is seen
    if (kind === "half-preface") s.write("PRI * HTTP/2.0\r\n");
    return { kind, closed: closedAt(s), destroy: () => s.destroy() };
  }
  const session: ClientHttp2Session = h2connect(`https://127.0.0.1:${controller.port}`, {
    createConnection: () =>
      tlsConnect({
        socket: netConnect({ host: "127.0.0.1", port: controller.port, localAddress }),
        rejectUnauthorized: false,
        ALPNProtocols: ["h2"],
      }),
  });
  session.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  const stream = session.request(
    {
      ":method": "POST",
      ":path": "/fleet.v1.EnrollService/Enroll",
      "content-type": "application/grpc",
      te: "trailers",
    },
    { endStream: false },
  );
  stream.on("error", () => undefined);
  return { kind, closed: closedAt(session), destroy: () => session.destroy() };
}

/** Hostile connections the controller has not closed yet. */
function openCount(): number {
  return hostile.filter((h) => h.closed.at === null).length;
}

describe("1,000 unauthenticated connections that send nothing useful", () => {
  let opened = 0;

  it("are opened from 127.0.0.2–127.0.0.21 (TLS done, no client certificate)", async () => {
    const results = await Promise.allSettled(Array.from({ length: HOSTILE }, (_, i) => openHostile(i)));
    for (const r of results) if (r.status === "fulfilled") hostile.push(r.value);
    opened = hostile.length;
    // At least the cap's worth get through TLS; on a loaded machine some handshakes take over
    // the 2 s grace, and those are closed to make room for newer ones before they finish.
    expect(opened).toBeGreaterThanOrEqual(UNAUTHENTICATED_CAP);
    // Never more than the cap open at once: the oldest were closed as new ones came (this
    // process, busy with 1,000 TLS clients, may see the last closes a moment late).
    await waitFor(
      "at most the cap open",
      async () => (openCount() <= UNAUTHENTICATED_CAP ? true : undefined),
      1_000,
      50,
    );
  }, 120_000);

  it("an enrolled agent's Hello and an admin's ListHosts each succeed within 2 s", async () => {
    const agentCreds = tlsCredentials(readCredential(join(stateDir, "tls")));
    const adminCreds = tlsCredentials(readCredential(join(controller.dataDir, "admin")));
    let t = Date.now();
    const hello = await helloStatus(controller.address, agentCreds, host);
    const helloMs = Date.now() - t;
    t = Date.now();
    const list = await listHostsStatus(controller.address, adminCreds);
    const listMs = Date.now() - t;
    expect({ welcomed: hello.welcomed, list: list.code }).toEqual({ welcomed: true, list: grpc.status.OK });
    expect(helloMs).toBeLessThan(2_000);
    expect(listMs).toBeLessThan(2_000);
  });

  it("a real agent process reconnects and the real CLI answers", async () => {
    agent = startSecureAgent(controller, host, stateDir);
    await waitForSecureHost(controller, host, true, 20_000);
    expect((await secureHosts(controller)).map((h) => h.name)).toContain(host);
  });

  it("the controller closes every one of them within its unauthenticated deadline", async () => {
    const start = Date.now();
    await waitFor("every hostile connection closed", async () => (openCount() === 0 ? true : undefined), 20_000, 500);
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(controller.proc.running).toBe(true);
    // The real agent stays connected: authenticated connections are not cut.
    expect((await secureHosts(controller)).find((h) => h.name === host)?.connected).toBe(true);
  }, 30_000);
});
