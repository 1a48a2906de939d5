import * as grpc from "@grpc/grpc-js";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { channelCredentials, fleetProto } from "../../common/index.js";
import type { HostJsonView } from "./fleet.js";
import { runCli, spawnCli, waitFor, type Proc } from "./processes.js";

/** A controller started without --insecure (mTLS, its own CA in `dataDir/pki`). */
export interface SecureController {
  proc: Proc;
  address: string;
  port: number;
  dataDir: string;
}

/** Starts `virtfleet controller` on loopback WITHOUT --insecure and waits for "listening on". */
export async function startSecureController(dataDir: string, extraArgs: string[] = []): Promise<SecureController> {
  const policies = join(dataDir, "policies");
  mkdirSync(policies, { recursive: true });
  const proc = spawnCli([
    "controller",
    "--listen",
    "127.0.0.1:0",
    "--data",
    dataDir,
    "--policies",
    policies,
    ...extraArgs,
  ]);
  const address = await waitFor(
    "secure controller to listen",
    () => {
      if (!proc.running) throw new Error(`controller exited: ${proc.stderr}`);
      return /listening on (\S+)/.exec(proc.stdout)?.[1];
    },
    20_000,
    50,
  );
  return { proc, address, port: Number(address.split(":").pop()), dataDir };
}

/** `virtfleet token create --json` with the bootstrap admin credential in `c.dataDir`. */
export async function createToken(
  c: SecureController,
  extra: string[] = [],
): Promise<{ token: string; expiresAt: string }> {
  const r = await runCli(["token", "create", "--json", "--controller", c.address, "--data", c.dataDir, ...extra]);
  if (r.code !== 0) throw new Error(`token create exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { token: string; expiresAt: string };
}

/** Starts a secure agent; `token` only when it must enrol. */
export function startSecureAgent(
  c: SecureController,
  name: string,
  stateDir: string,
  token?: string,
  extraArgs: string[] = [],
): Proc {
  const args = [
    "agent",
    "--controller",
    c.address,
    "--name",
    name,
    "--state-dir",
    stateDir,
    "--max-backoff",
    "1s",
    ...extraArgs,
  ];
  if (token) args.push("--token", token);
  return spawnCli(args);
}

/** `virtfleet hosts --json --data D` against a secure controller. */
export async function secureHosts(c: SecureController): Promise<HostJsonView[]> {
  const r = await runCli(["hosts", "--json", "--controller", c.address, "--data", c.dataDir]);
  if (r.code !== 0) throw new Error(`hosts --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as HostJsonView[];
}

export function waitForSecureHost(
  c: SecureController,
  name: string,
  want: boolean,
  timeoutMs = 20_000,
): Promise<HostJsonView> {
  return waitFor(
    `host ${name} to be ${want ? "connected" : "disconnected"}`,
    async () => (await secureHosts(c)).find((h) => h.name === name && h.connected === want),
    timeoutMs,
    200,
  );
}

/** PEM files of a credential folder (agent `<state>/tls`, admin `<data>/admin`). */
export function readCredential(dir: string): { caPem: string; certPem: string; keyPem: string } {
  return {
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    certPem: readFileSync(join(dir, "cert.pem"), "utf8"),
    keyPem: readFileSync(join(dir, "key.pem"), "utf8"),
  };
}

/** Raw gRPC clients with chosen credentials (tests that play a hostile or confused peer). */
export function tlsCredentials(tls: { caPem: string; certPem?: string; keyPem?: string }): grpc.ChannelCredentials {
  return channelCredentials({ insecure: false, tls });
}

/** ListHosts with `creds`; resolves with the status code (OK = 0). */
export function listHostsStatus(
  address: string,
  creds: grpc.ChannelCredentials,
): Promise<{ code: grpc.status; details: string }> {
  const client = new (fleetProto().AdminService)(address, creds);
  return new Promise((resolve) => {
    client.ListHosts({}, { deadline: new Date(Date.now() + 10_000) }, (err) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: "" });
    });
  });
}

const facts = JSON.stringify({ schema: 1, hostname: "x" });

/** Opens AgentService.Connect with `creds`, sends a Hello naming `hostName`, resolves with how the controller ended the stream. */
export function helloStatus(
  address: string,
  creds: grpc.ChannelCredentials,
  hostName: string,
): Promise<{ code: grpc.status; details: string; welcomed: boolean }> {
  const client = new (fleetProto().AgentService)(address, creds);
  return new Promise((resolve) => {
    let welcomed = false;
    const call = client.Connect();
    const timer = setTimeout(() => call.cancel(), 10_000);
    call.on("data", (m: { body?: string }) => {
      if (m.body === "welcome") {
        welcomed = true;
        call.end();
      }
    });
    call.on("error", () => undefined);
    call.on("status", (s: grpc.StatusObject) => {
      clearTimeout(timer);
      client.close();
      resolve({ code: s.code, details: s.details, welcomed });
    });
    call.write({
      seq: 1,
      ack: 0,
      hello: {
        hostName,
        agentVersion: "0.0.1",
        factsJson: facts,
        factsFingerprint: "f",
        lastControllerSeq: 0,
        startedAtMs: Date.now(),
      },
    });
  });
}
