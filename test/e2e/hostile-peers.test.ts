import * as grpc from "@grpc/grpc-js";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentMessage } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import { fleetProto } from "../../common/index.js";
import { stopAll, tempDir } from "../harness/processes.js";
import { hostsJson, startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";

let controller: StartedController;
const data = tempDir("vft-hostile-");

beforeAll(async () => {
  controller = await startController({ dataDir: `${data.path}/controller` });
});
afterAll(async () => {
  await stopAll();
  data.cleanup();
});

/** Sends raw bytes to the controller port and resolves when the controller closes the socket. */
function sendRaw(bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: "127.0.0.1", port: controller.port }, () => sock.write(bytes));
    sock.setTimeout(10_000, () => {
      sock.destroy();
      reject(new Error("controller neither answered nor closed within 10 s"));
    });
    sock.on("data", () => undefined);
    sock.on("error", () => resolve());
    sock.on("close", () => resolve());
  });
}

/** Opens one Connect stream, sends `messages`, and resolves with the status the controller ends it with. */
function stream(
  messages: AgentMessage[],
): Promise<{ status: grpc.StatusObject; received: ControllerMessage__Output[] }> {
  const client = new (fleetProto().AgentService)(controller.address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  return new Promise((resolve) => {
    const received: ControllerMessage__Output[] = [];
    const call = client.Connect();
    call.on("data", (m: ControllerMessage__Output) => received.push(m));
    call.on("error", () => undefined);
    call.on("status", (status: grpc.StatusObject) => {
      client.close();
      resolve({ status, received });
    });
    for (const m of messages) call.write(m);
  });
}

const facts = JSON.stringify({ schema: 1, hostname: "x" });
const hello = (hostName: string, seq = 1): AgentMessage => ({
  seq,
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

async function stillServing(): Promise<void> {
  expect(controller.proc.running).toBe(true);
  await hostsJson(controller.address);
}

describe("a controller facing hostile peers", () => {
  it("survives bytes that are not HTTP/2 at all", async () => {
    await sendRaw(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await sendRaw(Buffer.alloc(64 * 1024, 0xff));
    await stillServing();
  });

  it("survives a valid HTTP/2 preface followed by garbage frames", async () => {
    await sendRaw(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.alloc(4096, 0x41)]));
    await stillServing();
  });

  it("rejects an oversized message with RESOURCE_EXHAUSTED", async () => {
    const big = hello("vft-big");
    big.hello!.factsJson = JSON.stringify({ pad: "x".repeat(5 * 1024 * 1024) });
    const { status } = await stream([big]);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await stillServing();
  });

  it("rejects a stream whose first message is not a hello", async () => {
    const { status } = await stream([{ seq: 1, ack: 0, heartbeat: { sentAtMs: 1 } }]);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(/first message must be hello/);
    await stillServing();
  });

  it("rejects facts that are not a JSON object, and bad host names", async () => {
    const bad = hello("vft-badfacts");
    bad.hello!.factsJson = "{not json";
    expect((await stream([bad])).status.details).toMatch(/factsJson is not valid JSON/);
    const badName = hello("../../etc/passwd");
    expect((await stream([badName])).status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await hostsJson(controller.address)).map((h) => h.name)).not.toContain("vft-badfacts");
  });

  it("resets a stream whose sequence numbers go backwards or ack unsent messages", async () => {
    const back = await stream([hello("vft-seq", 5), { seq: 3, ack: 0, heartbeat: { sentAtMs: 1 } }]);
    expect(back.status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(back.status.details).toMatch(/does not increase/);
    expect(back.received[0]?.welcome).toBeTruthy();
    const acks = await stream([hello("vft-ack"), { seq: 2, ack: 99, heartbeat: { sentAtMs: 1 } }]);
    expect(acks.status.details).toMatch(/acks controller seq 99, but only 1 were sent/);
    await stillServing();
  });

  it("still serves a well-behaved agent afterwards", async () => {
    const name = `vft-good-${process.pid}`;
    startAgent({ controller: controller.address, name, stateDir: `${data.path}/agent` });
    await waitForHost(controller.address, name, true);
    const log = controller.proc.logs().filter((l) => l.msg === "rejected message from agent; closing its stream");
    expect(log.length).toBeGreaterThanOrEqual(4);
  });
});
