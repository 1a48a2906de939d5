import { afterEach, describe, expect, test } from "vitest";
import {
  Proc,
  MessageType,
  REMOTE_PROGRAM,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_PROC_PING,
} from "../../../libvirt/constants.js";
import { LibvirtConnection } from "../../../libvirt/rpc/connection.js";
import type { StateChange } from "../../../libvirt/rpc/state.js";
import { LibvirtConnectionError, LibvirtError, LibvirtTimeoutError } from "../../../libvirt/errors.js";
import { Hypervisor } from "../../../libvirt/hypervisor.js";
import { encodePacket } from "../../../libvirt/packet.js";
import { writeDomain } from "../../../libvirt/types.js";
import { XdrWriter } from "../../../libvirt/xdr.js";
import { FakeDaemon, replyPacket } from "./fake-daemon.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(daemonOpts: ConstructorParameters<typeof FakeDaemon>[0] = {}, connOpts = {}) {
  const daemon = new FakeDaemon(daemonOpts);
  await daemon.listen();
  const conn = await LibvirtConnection.open({
    socketPath: daemon.socketPath,
    callTimeoutMs: 1_000,
    reconnectInitialDelayMs: 10,
    reconnectMaxDelayMs: 50,
    ...connOpts,
  });
  const states: StateChange[] = [];
  conn.onStateChange((s) => states.push(s));
  cleanups.push(async () => {
    await conn.close();
    await daemon.close();
  });
  return { daemon, conn, states };
}

function stringBody(s: string): Buffer {
  return Buffer.from(new XdrWriter().string(s, 1 << 20).bytes());
}

async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const getHostname = (c: LibvirtConnection, timeoutMs?: number) =>
  c.call(Proc.CONNECT_GET_HOSTNAME, null, (r) => r.string(1000), timeoutMs ? { timeoutMs } : {});

describe("LibvirtConnection against a fake daemon", () => {
  test("handshake, concurrent calls answered out of order, matched by serial", async () => {
    const held: { serial: number; proc: number }[] = [];
    const { daemon, conn } = await setup({
      onCall: (c) => {
        held.push({ serial: c.header.serial, proc: c.header.procedure });
        if (held.length === 20) {
          for (const h of held.reverse()) c.socket.write(replyPacket(h.serial, h.proc, stringBody(`host-${h.serial}`)));
        }
      },
    });
    expect(daemon.calls.map((c) => c.procedure)).toEqual([
      Proc.AUTH_LIST,
      Proc.CONNECT_OPEN,
      Proc.CONNECT_SUPPORTS_FEATURE,
    ]);
    const results = await Promise.all(Array.from({ length: 20 }, () => getHostname(conn)));
    const serials = daemon.calls.slice(3).map((c) => c.serial);
    expect(results).toEqual(serials.map((s) => `host-${s}`));
  });

  test("a reply torn into single bytes is reassembled", async () => {
    const { conn } = await setup({
      onCall: (c) => {
        const pkt = replyPacket(c.header.serial, c.header.procedure, stringBody("torn-but-whole"));
        let i = 0;
        const t = setInterval(() => {
          c.socket.write(pkt.subarray(i, i + 1));
          if (++i >= pkt.length) clearInterval(t);
        }, 0);
      },
    });
    expect(await getHostname(conn)).toBe("torn-but-whole");
  });

  test("an error reply becomes a LibvirtError and the connection stays up", async () => {
    const { conn } = await setup({ onCall: (c) => c.error(42, "Domain not found") });
    const err = await getHostname(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).libvirtCode).toBe(42);
    expect(conn.state).toBe("ready");
  });

  test("a hung daemon makes the call time out; a late reply is dropped without harm", async () => {
    let first: { serial: number; proc: number } | null = null;
    const { daemon, conn } = await setup({
      onCall: (c) => {
        if (!first) {
          first = { serial: c.header.serial, proc: c.header.procedure };
          return; // hang
        }
        c.reply(stringBody("second"));
      },
    });
    const started = Date.now();
    const err = await getHostname(conn, 150).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtTimeoutError);
    expect((err as Error).message).toMatch(/CONNECT_GET_HOSTNAME got no reply within 150 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
    daemon.broadcast(replyPacket(first!.serial, first!.proc, stringBody("late")));
    expect(await getHostname(conn)).toBe("second");
    expect(conn.state).toBe("ready");
    expect(conn.generation).toBe(1);
  });

  test("an oversized length closes the connection with an error, fails pending calls, and reconnects", async () => {
    let hostile = true;
    const { daemon, conn, states } = await setup({
      onCall: (c) => {
        if (hostile) {
          hostile = false;
          const len = Buffer.alloc(4);
          len.writeUInt32BE(0x7fff_ffff);
          c.socket.write(len);
          return;
        }
        c.reply(stringBody("after-reconnect"));
      },
    });
    const err = await getHostname(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtConnectionError);
    expect((err as LibvirtConnectionError).reason).toBe("protocol");
    expect((err as Error).message).toMatch(/exceeds the maximum/);
    await until(() => conn.state === "ready" && conn.generation === 2);
    expect(states.map((s) => s.state)).toEqual(["disconnected", "connecting", "ready"]);
    expect(states[0]!.error).toBeInstanceOf(LibvirtConnectionError);
    expect(daemon.connections).toBe(2);
    expect(await getHostname(conn)).toBe("after-reconnect");
  });

  test("a frame truncated by the daemon closing fails the call and reconnects", async () => {
    let first = true;
    const { conn } = await setup({
      onCall: (c) => {
        if (first) {
          first = false;
          const pkt = replyPacket(c.header.serial, c.header.procedure, stringBody("never whole"));
          c.socket.end(pkt.subarray(0, pkt.length - 5));
          return;
        }
        c.reply(stringBody("ok"));
      },
    });
    const err = await getHostname(conn).catch((e: unknown) => e);
    expect((err as LibvirtConnectionError).reason).toBe("lost");
    expect((err as Error).message).toMatch(/in the middle of a packet/);
    await until(() => conn.state === "ready" && conn.generation === 2);
    expect(await getHostname(conn)).toBe("ok");
  });

  test("replies to unknown serials, unknown programs and undecodable payloads are protocol errors", async () => {
    const bad = [
      (serial: number, proc: number) => replyPacket(serial + 1000, proc, stringBody("x")),
      (serial: number, proc: number) =>
        encodePacket({ program: 0x1234, version: 1, procedure: proc, type: MessageType.REPLY, serial, status: 0 }),
      (serial: number, proc: number) => replyPacket(serial, proc, Buffer.from([0, 0, 0, 200])),
      (serial: number, proc: number) => replyPacket(serial, proc, Buffer.concat([stringBody("x"), Buffer.alloc(4)])),
      (serial: number) => replyPacket(serial, Proc.CONNECT_GET_TYPE, stringBody("x")),
    ];
    let i = 0;
    const { conn } = await setup({
      onCall: (c) =>
        c.socket.write(
          i < bad.length
            ? bad[i++]!(c.header.serial, c.header.procedure)
            : replyPacket(c.header.serial, c.header.procedure, stringBody("fine")),
        ),
    });
    for (let n = 0; n < bad.length; n++) {
      const err = await getHostname(conn).catch((e: unknown) => e);
      expect(err, `case ${n}`).toBeInstanceOf(Error);
      expect(conn.state === "ready" && conn.generation === n + 1).toBe(false);
      await until(() => conn.state === "ready" && conn.generation === n + 2);
    }
    expect(await getHostname(conn)).toBe("fine");
  });

  test("keepalive: answers the daemon's pings and declares a silent daemon dead", async () => {
    const { daemon, conn, states } = await setup(
      { keepaliveSupported: true, answerPings: false },
      { keepaliveIntervalMs: 40, keepaliveCount: 2, reconnect: false },
    );
    const pongs: number[] = [];
    const sock = [...daemon.sockets][0]!;
    sock.on("data", (d: Buffer) => {
      if (d.length >= 28 && d.readUInt32BE(4) === KEEPALIVE_PROGRAM) pongs.push(d.readInt32BE(12));
    });
    sock.write(
      encodePacket({
        program: KEEPALIVE_PROGRAM,
        version: 1,
        procedure: KEEPALIVE_PROC_PING,
        type: MessageType.MESSAGE,
        serial: 0,
        status: 0,
      }),
    );
    await until(() => pongs.includes(2));
    await until(() => conn.state === "disconnected", 2_000);
    expect(daemon.pingsReceived).toBeGreaterThanOrEqual(1);
    expect((states.at(-1)!.error as LibvirtConnectionError).reason).toBe("keepalive-timeout");
    await expect(getHostname(conn)).rejects.toBeInstanceOf(LibvirtConnectionError);
  });

  test("calls made while reconnecting wait for the connection and then succeed", async () => {
    const { daemon, conn } = await setup({ onCall: (c) => c.reply(stringBody("back")) });
    daemon.dropAll();
    await until(() => conn.state !== "ready");
    expect(await getHostname(conn)).toBe("back");
    expect(conn.generation).toBe(2);
  });

  test("close() ends the connection for good and fails later calls", async () => {
    const { daemon, conn, states } = await setup({ onCall: () => {} });
    const pending = getHostname(conn, 5_000).catch((e: unknown) => e);
    await conn.close();
    expect(((await pending) as LibvirtConnectionError).reason).toBe("closed");
    expect(states.at(-1)!.state).toBe("closed");
    expect(daemon.calls.at(-1)!.procedure).toBe(Proc.CONNECT_CLOSE);
    await expect(getHostname(conn)).rejects.toThrow(/closed/);
  });

  test("a missing socket fails open with reason socket-absent", async () => {
    const err = await LibvirtConnection.open({ socketPath: "/nonexistent/vft/libvirt-sock" }).catch((e: unknown) => e);
    expect((err as LibvirtConnectionError).reason).toBe("socket-absent");
  });
});

describe("events through a fake daemon", () => {
  test("lifecycle events reach the subscriber; abort deregisters; loss and restore are signalled", async () => {
    const registered: number[] = [];
    const deregistered: number[] = [];
    const { daemon, conn } = await setup({
      onCall: (c) => {
        if (c.header.procedure === Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY) {
          const id = 100 + registered.length;
          registered.push(id);
          c.reply(new XdrWriter().int(id).bytes());
        } else if (c.header.procedure === Proc.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY) {
          deregistered.push(c.body.readInt32BE(0));
          c.reply();
        }
      },
    });
    const hv = new Hypervisor(conn);
    const ac = new AbortController();
    const sub = hv.events(ac.signal, { sources: ["domain-lifecycle"] });
    await sub.ready;
    expect(registered).toEqual([100]);

    const lifecycle = (cb: number, event: number, detail: number) => {
      const w = new XdrWriter().int(cb);
      writeDomain(w, { name: "vm", uuid: "3f0c6a5e-2b1d-4c9e-8f7a-0123456789ab", id: 1 });
      w.int(event).int(detail);
      return encodePacket(
        {
          program: REMOTE_PROGRAM,
          version: 1,
          procedure: Proc.DOMAIN_EVENT_CALLBACK_LIFECYCLE,
          type: MessageType.MESSAGE,
          serial: 0,
          status: 0,
        },
        w.bytes(),
      );
    };
    daemon.broadcast(lifecycle(100, 2, 0));
    daemon.broadcast(lifecycle(999, 5, 1)); // unknown callback id: ignored
    daemon.broadcast(lifecycle(100, 5, 1));
    const it = sub[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ kind: "domain-lifecycle", event: "started", detail: "booted" });
    expect((await it.next()).value).toMatchObject({ kind: "domain-lifecycle", event: "stopped", detail: "destroyed" });

    daemon.dropAll();
    expect((await it.next()).value).toMatchObject({ kind: "connection", state: "lost" });
    expect((await it.next()).value).toMatchObject({ kind: "connection", state: "restored", generation: 2 });
    expect(registered).toEqual([100, 101]);
    daemon.broadcast(lifecycle(101, 3, 0));
    expect((await it.next()).value).toMatchObject({ event: "suspended", detail: "paused" });

    ac.abort();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await until(() => deregistered.length === 1);
    expect(deregistered).toEqual([101]);
  });
});
