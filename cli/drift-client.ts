import * as grpc from "@grpc/grpc-js";
import type { ComplianceResponse__Output } from "../generated/proto/fleet/v1/ComplianceResponse.js";
import type { DriftRecord__Output } from "../generated/proto/fleet/v1/DriftRecord.js";
import { decodeCompliance, documentOf, type ComplianceReport } from "../common/wire/admin-documents.js";
import { adminCallError } from "./admin-errors.js";
import type { HostPort } from "../common/address.js";
import { ADMIN_CALL_TIMEOUT_MS } from "./admin-client.js";
import { ControllerChannels, type UnaryCall } from "./controller-channels.js";

/** How a live watch ended. */
export type WatchEnd = { kind: "cancelled" } | { kind: "ended" } | { kind: "error"; error: Error; retryable: boolean };

/**
 * The CLI's view of the drift/compliance admin calls; unary calls have a deadline, errors
 * are typed (NOT_FOUND → NotFoundError, INVALID_ARGUMENT → ValidationError, unreachable →
 * ControllerUnreachableError naming the address). Given several addresses (replicas), a unary
 * call that reaches no controller is made on the next one (cli/controller-channels.ts); a watch
 * goes to the address its caller names, so the caller moves on when a stream breaks.
 */
export class DriftClient {
  private readonly channels: ControllerChannels;

  constructor(
    addresses: HostPort | readonly HostPort[],
    private readonly insecure: boolean,
  ) {
    this.channels = new ControllerChannels(addresses, insecure);
  }

  /** The addresses, in the order given. */
  get targets(): readonly string[] {
    return this.channels.targets;
  }

  listDrift(host: string, since: string, limit = 0): Promise<DriftRecord__Output[]> {
    return this.read("listing drift", (client, deadline, done) =>
      client.ListDrift({ host, since, limit }, { deadline }, (err, res) => done(err, res?.events ?? [])),
    );
  }

  /** The `compliance --json` document: typed, or the previous release's JSON text (documentOf). */
  compliance(at: string): Promise<ComplianceReport> {
    return this.read<ComplianceResponse__Output>("reading compliance", (client, deadline, done) =>
      client.Compliance({ at }, { deadline }, (err, res) => done(err, res!)),
    ).then((res) => documentOf("compliance", res.report, res.reportJson, decodeCompliance));
  }

  acknowledgeFlap(host: string, resource: string): Promise<boolean> {
    return this.unary(`acknowledging flap on ${host}`, (client, deadline, done) =>
      client.AcknowledgeFlap({ host, resource }, { deadline }, (err, res) => done(err, res?.delivered ?? false)),
    );
  }

  /**
   * Streams drift events from the controller at `targets[index]` until the stream ends, fails
   * or `signal` aborts. `onReady` runs once the controller accepted the watch.
   */
  watch(
    index: number,
    host: string,
    signal: AbortSignal,
    onEvent: (d: DriftRecord__Output) => void,
    onReady: () => void,
  ): Promise<WatchEnd> {
    return new Promise((resolve) => {
      const target = this.channels.targets[index]!;
      const call = this.channels.client(index).WatchDrift({ host });
      let done = false;
      const finish = (end: WatchEnd) => {
        if (done) return;
        done = true;
        signal.removeEventListener("abort", abort);
        resolve(end);
      };
      const abort = () => {
        call.cancel();
        finish({ kind: "cancelled" });
      };
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort);
      call.on("metadata", () => onReady());
      call.on("data", (d: DriftRecord__Output) => onEvent(d));
      call.on("error", (err: grpc.ServiceError) => {
        if (err.code === grpc.status.CANCELLED) return finish({ kind: "cancelled" });
        const retryable = err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED;
        finish({ kind: "error", error: adminCallError("watching drift", err, target, this.insecure), retryable });
      });
      call.on("end", () => finish({ kind: "ended" }));
    });
  }

  close(): void {
    this.channels.close();
  }

  private unary<T>(what: string, call: UnaryCall<T>): Promise<T> {
    return this.channels.unary(what, call, ADMIN_CALL_TIMEOUT_MS);
  }

  /** A call that changes nothing: on several replicas, one that does not answer in time is passed by too. */
  private read<T>(what: string, call: UnaryCall<T>): Promise<T> {
    return this.channels.unary(what, call, ADMIN_CALL_TIMEOUT_MS, true);
  }
}
