import { EventEmitter } from "node:events";
import * as http2 from "node:http2";
import type { SecureClientSessionOptions } from "node:http2";
import type { AgentMessage } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import { fleetProto } from "../../common/index.js";

const CONNECT_PATH = "/fleet.v1.AgentService/Connect";

/** How a wire stream reaches the controller: `http://host:port`, or `https://…` with the agent's TLS material. */
export interface WireTarget {
  authority: string;
  tls?: SecureClientSessionOptions;
}

/**
 * One AgentService.Connect call over its own HTTP/2 connection, spoken directly on Node's
 * http2 (gRPC's wire format: a POST with `content-type: application/grpc`, length-prefixed
 * protobuf messages, `grpc-status` in the trailers), encoded with the same proto definitions
 * as the agent. The load generator uses it instead of grpc-js's client: a grpc-js channel
 * costs about 1–2 ms of CPU to set up, which on a 2-core machine shared with the controller
 * would measure the load generator rather than the controller. The controller sees the same
 * bytes either way.
 *
 * Events: "message" (ControllerMessage), "end" (status code, details) — exactly once.
 */
export class WireStream extends EventEmitter {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(target: WireTarget) {
    super();
    const method = fleetProto().AgentService.service.Connect;
    this.session = http2.connect(target.authority, target.tls ?? {});
    this.session.on("error", (err) => this.finish(14, err.message));
    this.session.on("close", () => this.finish(14, "connection closed"));
    this.stream = this.session.request({
      ":method": "POST",
      ":path": CONNECT_PATH,
      "content-type": "application/grpc",
      te: "trailers",
    });
    this.stream.on("data", (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 5) {
        const length = this.buffered.readUInt32BE(1);
        if (this.buffered.length < 5 + length) break;
        const payload = this.buffered.subarray(5, 5 + length);
        this.buffered = this.buffered.subarray(5 + length);
        this.emit("message", method.responseDeserialize(payload) as ControllerMessage__Output);
      }
    });
    this.stream.on("trailers", (headers) =>
      this.finish(Number(headers["grpc-status"] ?? 2), String(headers["grpc-message"] ?? "")),
    );
    this.stream.on("response", (headers) => {
      // A trailers-only answer (the call refused at once) carries grpc-status in the headers.
      if (headers["grpc-status"] !== undefined)
        this.finish(Number(headers["grpc-status"]), String(headers["grpc-message"] ?? ""));
    });
    this.stream.on("error", (err) => this.finish(14, err.message));
    this.stream.on("close", () => this.finish(14, "stream closed"));
  }

  write(message: AgentMessage): void {
    if (this.ended) return;
    const payload = fleetProto().AgentService.service.Connect.requestSerialize(message);
    const frame = Buffer.allocUnsafe(5 + payload.length);
    frame[0] = 0;
    frame.writeUInt32BE(payload.length, 1);
    payload.copy(frame, 5);
    this.stream.write(frame);
  }

  /** Closes the call and its connection (no further events). */
  close(): void {
    this.ended = true;
    this.stream.close();
    this.session.destroy();
  }

  private finish(code: number, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.emit("end", code, details);
    this.session.destroy();
  }
}
