import * as grpc from "@grpc/grpc-js";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { ControllerMessage } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import type { ProtocolVersion } from "../../common/wire/index.js";

type ConnectCall = grpc.ServerDuplexStream<AgentMessage__Output, ControllerMessage>;

/** Outgoing messages an agent may leave unread before its stream is reset. */
export const MAX_UNREAD_MESSAGES = 1_000;

/** The controller-side body of one outgoing message (one oneof member set). */
export type ControllerBody = Omit<ControllerMessage, "seq" | "ack" | "body">;

/**
 * One agent stream on the controller. Owns the per-direction sequence numbers: `send()`
 * stamps every outgoing message with the next controller seq and acknowledges the highest
 * agent seq processed so far.
 */
export class AgentSession {
  host: string | undefined;
  /** Secure mode: the host named by the stream's verified client certificate, and its expiry (ms). */
  certHost: string | undefined;
  certNotAfter: number | undefined;
  lastAgentSeq = 0;
  lastMessageAt: number;
  closed = false;
  /**
   * The stream's protocol version (common/wire/protocol.ts), set from the Hello and answered in
   * the Welcome; 0 (an agent built before versioning) until then.
   */
  protocol: ProtocolVersion = 0;
  /** The agent said (last heartbeat) that it cannot reach its libvirtd. */
  libvirtUnreachable = false;
  /** Events in the agent's outbox not yet acknowledged, as of its last heartbeat (0 from older agents). */
  outboxEntries = 0;
  /** Set while the Hello waits for admission: messages that arrive meanwhile, in order. */
  backlog: AgentMessage__Output[] | undefined;

  constructor(
    readonly id: string,
    readonly call: ConnectCall,
    readonly peer: string,
    readonly openedAt: number,
    /** Last controller seq used for this host (persisted), so seqs keep increasing across streams. */
    public lastControllerSeq: number,
  ) {
    this.lastMessageAt = openedAt;
  }

  send(body: ControllerBody): void {
    if (this.closed) return;
    if (this.call.writableLength >= MAX_UNREAD_MESSAGES) {
      // A peer that sends but never reads would grow this buffer without bound; end() would
      // wait for it to drain, so the stream is cut instead.
      this.closed = true;
      this.call.emit("error", {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `agent did not read ${MAX_UNREAD_MESSAGES} messages; stream reset`,
      });
      this.call.destroy();
      return;
    }
    this.lastControllerSeq += 1;
    this.call.write({ seq: this.lastControllerSeq, ack: this.lastAgentSeq, ...body });
  }

  /** Says Goodbye with `reason`, then ends the stream with `code` (OK ends it cleanly). */
  close(reason: string, code: grpc.status = grpc.status.OK, retryAfterMs = 0): void {
    if (this.closed) return;
    try {
      this.send({ goodbye: { reason, retryAfterMs } });
    } catch {
      // The stream may already be broken; the status below still ends it.
    }
    this.closed = true;
    if (code === grpc.status.OK) this.call.end();
    else this.call.emit("error", { code, details: reason });
  }
}
