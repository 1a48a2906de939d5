import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { LibvirtConnectionError } from "../../../libvirt/errors.js";
import { encodePacket } from "../../../libvirt/packet.js";
import { FrameTransport, type TransportLoss } from "../../../libvirt/transport/frame-transport.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A unix socket server in a temporary directory; resolves with the server side of the first connection. */
async function listen(): Promise<{ socketPath: string; peer: Promise<net.Socket> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "vft-transport-"));
  const socketPath = path.join(dir, "sock");
  const sockets = new Set<net.Socket>();
  let gotPeer!: (s: net.Socket) => void;
  const peer = new Promise<net.Socket>((r) => (gotPeer = r));
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    gotPeer(s);
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { socketPath, peer };
}

function recorder() {
  const frames: Buffer[] = [];
  const losses: TransportLoss[] = [];
  return {
    frames,
    losses,
    sink: { frame: (f: Buffer) => void frames.push(Buffer.from(f)), lost: (l: TransportLoss) => void losses.push(l) },
  };
}

async function dial(
  socketPath: string,
  sink: ReturnType<typeof recorder>["sink"],
  maxFrameBytes = 1 << 20,
): Promise<FrameTransport> {
  const t = await FrameTransport.dial({ path: socketPath, connectTimeoutMs: 1_000, maxFrameBytes }, sink);
  cleanups.push(() => t.destroy());
  return t;
}

async function until(cond: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const packet = (serial: number, body: string) =>
  encodePacket({ program: 1, version: 1, procedure: 7, type: 1, serial, status: 0 }, Buffer.from(body));

describe("FrameTransport", () => {
  test("frames are reassembled across chunk boundaries, in order, without the length word", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    await dial(socketPath, r.sink);
    const server = await peer;
    const stream = Buffer.concat([packet(1, "first"), packet(2, ""), packet(3, "x".repeat(3000)), packet(4, "last")]);
    // cuts inside a length word, inside a header, inside a body, and two packets in one chunk
    const cuts = [0, 2, 9, 40, 41, 70, 1500, stream.length - 3, stream.length];
    for (let i = 1; i < cuts.length; i++) {
      server.write(stream.subarray(cuts[i - 1], cuts[i]));
      await new Promise((res) => setTimeout(res, 5));
    }
    await until(() => r.frames.length === 4);
    expect(r.frames.map((f) => f.readUInt32BE(16))).toEqual([1, 2, 3, 4]);
    expect(r.frames[0]!.subarray(24).toString()).toBe("first");
    expect(r.frames[1]!.length).toBe(24);
    expect(r.frames[2]!.length).toBe(24 + 3000);
    expect(r.frames[3]!).toEqual(packet(4, "last").subarray(4));
    expect(r.losses).toEqual([]);
  });

  test("a packet torn into single bytes arrives whole", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    await dial(socketPath, r.sink);
    const server = await peer;
    const pkt = packet(9, "torn");
    for (const b of pkt) {
      server.write(Buffer.from([b]));
      await new Promise((res) => setImmediate(res));
    }
    await until(() => r.frames.length === 1);
    expect(r.frames[0]).toEqual(pkt.subarray(4));
  });

  test("send queues packets in order to the peer", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    const t = await dial(socketPath, r.sink);
    const server = await peer;
    const got: Buffer[] = [];
    server.on("data", (d: Buffer) => got.push(d));
    const sent = [packet(1, "a"), packet(2, "bb"), packet(3, "ccc")];
    for (const p of sent) expect(t.send(p)).toBe(true);
    await until(() => Buffer.concat(got).length === Buffer.concat(sent).length);
    expect(Buffer.concat(got)).toEqual(Buffer.concat(sent));
  });

  test("the peer closing is signalled once, as closed, with the bytes of an unfinished frame", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    const t = await dial(socketPath, r.sink);
    const server = await peer;
    const pkt = packet(5, "never whole");
    server.end(pkt.subarray(0, pkt.length - 3));
    await until(() => r.losses.length > 0);
    await new Promise((res) => setTimeout(res, 30));
    expect(r.losses).toHaveLength(1);
    expect(r.losses[0]).toMatchObject({ kind: "closed", partialBytes: pkt.length - 3 });
    expect(r.frames).toEqual([]);
    expect(t.open).toBe(false);
    expect(t.send(packet(6, "after"))).toBe(false);
    t.destroy();
    expect(r.losses).toHaveLength(1);
  });

  test("a clean close between frames reports no partial bytes", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    await dial(socketPath, r.sink);
    const server = await peer;
    server.end(packet(1, "whole"));
    await until(() => r.losses.length > 0);
    expect(r.frames).toHaveLength(1);
    expect(r.losses).toEqual([{ kind: "closed", partialBytes: 0 }]);
  });

  test("an impossible length is a framing loss, signalled once; no frame of that chunk is delivered", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    const t = await dial(socketPath, r.sink, 1024);
    const server = await peer;
    const serverClosed = new Promise<void>((res) => server.once("close", () => res()));
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0x7fff_ffff);
    server.write(packet(1, "earlier chunk"));
    await until(() => r.frames.length === 1);
    server.write(Buffer.concat([packet(2, "same chunk, before"), huge, packet(3, "after")]));
    await until(() => r.losses.length > 0);
    await serverClosed; // the transport destroyed its socket
    expect(r.frames.map((f) => f.readUInt32BE(16))).toEqual([1]);
    expect(r.losses).toHaveLength(1);
    expect(r.losses[0]!.kind).toBe("framing");
    expect(r.losses[0]!.error?.message).toMatch(/exceeds the maximum/);
    expect(t.open).toBe(false);
  });

  test("destroy() from inside the sink stops delivery at once and never signals a loss", async () => {
    const { socketPath, peer } = await listen();
    const frames: number[] = [];
    const losses: TransportLoss[] = [];
    let t: FrameTransport | undefined;
    t = await FrameTransport.dial(
      { path: socketPath, connectTimeoutMs: 1_000, maxFrameBytes: 1024 },
      {
        frame: (f) => {
          frames.push(f.readUInt32BE(16));
          t?.destroy();
        },
        lost: (l) => void losses.push(l),
      },
    );
    cleanups.push(() => t?.destroy());
    const server = await peer;
    const serverClosed = new Promise<void>((res) => server.once("close", () => res()));
    server.write(Buffer.concat([packet(1, "a"), packet(2, "b"), packet(3, "c")]));
    await serverClosed;
    await new Promise((res) => setTimeout(res, 30));
    expect(frames).toEqual([1]);
    expect(losses).toEqual([]);
  });

  test("lastReceivedAt moves when bytes arrive", async () => {
    const { socketPath, peer } = await listen();
    const r = recorder();
    const t = await dial(socketPath, r.sink);
    const server = await peer;
    const connectedAt = t.lastReceivedAt;
    await new Promise((res) => setTimeout(res, 25));
    server.write(packet(1, "x").subarray(0, 2)); // not even a whole length word
    await until(() => t.lastReceivedAt > connectedAt);
    expect(r.frames).toEqual([]);
  });

  test("dialing a missing socket rejects with socket-absent and creates no transport", async () => {
    const r = recorder();
    const err = await FrameTransport.dial(
      { path: "/nonexistent/vft/sock", connectTimeoutMs: 1_000, maxFrameBytes: 1024 },
      r.sink,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtConnectionError);
    expect((err as LibvirtConnectionError).reason).toBe("socket-absent");
    expect(r.losses).toEqual([]);
  });
});
