import { describe, expect, test } from "vitest";
import { ProtocolError } from "../../../common/errors.js";
import { MessageStatus, Proc } from "../../../libvirt/constants.js";
import { LibvirtTimeoutError } from "../../../libvirt/errors.js";
import { reconnectDelay } from "../../../libvirt/rpc/backoff.js";
import { PendingCalls } from "../../../libvirt/rpc/calls.js";
import { XdrWriter } from "../../../libvirt/xdr.js";

describe("reconnectDelay", () => {
  test("doubles from the initial delay, is capped, and is jittered into [half, whole]", () => {
    expect([0, 1, 2, 3].map((a) => reconnectDelay(a, 100, 5_000, () => 1))).toEqual([100, 200, 400, 800]);
    expect(reconnectDelay(10, 100, 5_000, () => 1)).toBe(5_000);
    expect(reconnectDelay(10_000, 100, 5_000, () => 1)).toBe(5_000);
    expect(reconnectDelay(3, 100, 5_000, () => 0)).toBe(400);
  });
});

describe("PendingCalls", () => {
  const body = (s: string) => Buffer.from(new XdrWriter().string(s, 100).bytes());

  test("a reply settles its call by serial; a reply to an unknown serial is a protocol error", async () => {
    const calls = new PendingCalls("/test/sock");
    const a = calls.allocSerial();
    const b = calls.allocSerial();
    expect(b).not.toBe(a);
    const pa = calls.expect(a, Proc.CONNECT_GET_HOSTNAME, (r) => r.string(100), 1_000);
    const pb = calls.expect(b, Proc.CONNECT_GET_HOSTNAME, (r) => r.string(100), 1_000);
    calls.settle(b, Proc.CONNECT_GET_HOSTNAME, MessageStatus.OK, body("b"));
    calls.settle(a, Proc.CONNECT_GET_HOSTNAME, MessageStatus.OK, body("a"));
    expect(await Promise.all([pa, pb])).toEqual(["a", "b"]);
    expect(() => calls.settle(a, Proc.CONNECT_GET_HOSTNAME, MessageStatus.OK, body("again"))).toThrow(ProtocolError);
  });

  test("a timed-out call is abandoned: its late reply is dropped once, and its serial is not reused meanwhile", async () => {
    const calls = new PendingCalls("/test/sock");
    const s = calls.allocSerial();
    const err = await calls.expect(s, Proc.CONNECT_GET_HOSTNAME, null, 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtTimeoutError);
    expect(calls.allocSerial()).not.toBe(s);
    expect(() => calls.settle(s, Proc.CONNECT_GET_HOSTNAME, MessageStatus.OK, Buffer.alloc(0))).not.toThrow();
    expect(() => calls.settle(s, Proc.CONNECT_GET_HOSTNAME, MessageStatus.OK, Buffer.alloc(0))).toThrow(ProtocolError);
  });

  test("failAll rejects every pending call with the given error", async () => {
    const calls = new PendingCalls("/test/sock");
    const ps = [1, 2, 3].map(() =>
      calls.expect(calls.allocSerial(), Proc.CONNECT_GET_TYPE, null, 1_000).catch((e: unknown) => e),
    );
    const gone = new Error("gone");
    calls.failAll(gone);
    expect(await Promise.all(ps)).toEqual([gone, gone, gone]);
  });
});
