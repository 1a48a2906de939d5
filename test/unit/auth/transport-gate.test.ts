import * as grpc from "@grpc/grpc-js";
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../common/index.js";
import { callerOf, type PeerSource } from "../../../controller/auth/caller.js";
import type { Caller } from "../../../controller/auth/types.js";
import { transportGate } from "../../../controller/auth/transport-gate.js";

// The gate over a fake grpc-js call: start() hands the listener its metadata at once.
function fakeCall(peerCertificate: { raw: Uint8Array } | undefined) {
  const getAuthContext = vi.fn(() => ({ transportSecurityType: "ssl", sslPeerCertificate: peerCertificate }));
  const sendStatus = vi.fn();
  const call = {
    getAuthContext,
    getPeer: () => "ipv4:127.0.0.1:1",
    sendStatus,
    start: (listener: { onReceiveMetadata(m: grpc.Metadata): void }) => listener.onReceiveMetadata(new grpc.Metadata()),
  };
  return { call, getAuthContext, sendStatus };
}

describe("transportGate", () => {
  it("reads the TLS peer once per call, for itself and the handler behind it", () => {
    const { call, getAuthContext, sendStatus } = fakeCall({ raw: new Uint8Array([1, 2, 3]) });
    const seen: Caller[] = [];
    const gate = transportGate((c: PeerSource) => {
      const raw = c.getAuthContext()?.sslPeerCertificate?.raw;
      const caller = raw
        ? ({ kind: "agent", host: "kvm01" } as const)
        : ({ kind: "anonymous", reason: "none" } as const);
      seen.push(caller);
      return caller;
    }, silentLogger());
    const gated = gate({ path: "/fleet.v1.AgentService/Connect" } as never, call as never);
    const received = vi.fn();
    gated.start({ onReceiveMetadata: received } as never);
    expect(sendStatus).not.toHaveBeenCalled();
    expect(received).toHaveBeenCalledTimes(1);
    // the handler reads the peer again through the gated call (as grpc-js's server call does)
    expect(gated.getAuthContext()).toEqual({
      transportSecurityType: "ssl",
      sslPeerCertificate: { raw: new Uint8Array([1, 2, 3]) },
    });
    expect(gated.getAuthContext()).toBe(gated.getAuthContext());
    expect(getAuthContext).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([{ kind: "agent", host: "kvm01" }]);
  });

  it("refuses a call without a client certificate before the handler sees it", () => {
    const { call, sendStatus } = fakeCall(undefined);
    const gated = transportGate(callerOf, silentLogger())(
      { path: "/fleet.v1.AgentService/Connect" } as never,
      call as never,
    );
    const received = vi.fn();
    gated.start({ onReceiveMetadata: received } as never);
    expect(received).not.toHaveBeenCalled();
    expect(sendStatus).toHaveBeenCalledWith(expect.objectContaining({ code: grpc.status.UNAUTHENTICATED }));
  });
});
