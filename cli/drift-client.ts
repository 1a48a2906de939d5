import * as grpc from "@grpc/grpc-js";
import type { AdminServiceClient } from "../generated/proto/fleet/v1/AdminService.js";
import type { ComplianceResponse__Output } from "../generated/proto/fleet/v1/ComplianceResponse.js";
import type { DriftRecord__Output } from "../generated/proto/fleet/v1/DriftRecord.js";
import { decodeCompliance, documentOf, type ComplianceReport } from "../common/wire/admin-documents.js";
import { adminChannelCredentials } from "./admin-credentials.js";
import { adminCallError } from "./admin-errors.js";
import { formatHostPort, type HostPort } from "../common/address.js";
import { ADMIN_CHANNEL_OPTIONS } from "../common/grpc/limits.js";
import { adminProto } from "../common/grpc/load-protos.js";
import { ADMIN_CALL_TIMEOUT_MS } from "./admin-client.js";

/** How a live watch ended. */
export type WatchEnd = { kind: "cancelled" } | { kind: "ended" } | { kind: "error"; error: Error; retryable: boolean };

/**
 * The CLI's view of the drift/compliance admin calls; unary calls have a deadline, errors
 * are typed (NOT_FOUND → NotFoundError, INVALID_ARGUMENT → ValidationError, unreachable →
 * ControllerUnreachableError naming the address).
 */
export class DriftClient {
  private readonly client: AdminServiceClient;
  readonly target: string;

  constructor(
    address: HostPort,
    private readonly insecure: boolean,
  ) {
    this.target = formatHostPort(address);
    this.client = new (adminProto().AdminService)(
      this.target,
      adminChannelCredentials(insecure),
      ADMIN_CHANNEL_OPTIONS,
    );
  }

  listDrift(host: string, since: string, limit = 0): Promise<DriftRecord__Output[]> {
    return this.unary("listing drift", (deadline, done) =>
      this.client.ListDrift({ host, since, limit }, { deadline }, (err, res) => done(err, res?.events ?? [])),
    );
  }

  /** The `compliance --json` document: typed, or the previous release's JSON text (documentOf). */
  compliance(at: string): Promise<ComplianceReport> {
    return this.unary<ComplianceResponse__Output>("reading compliance", (deadline, done) =>
      this.client.Compliance({ at }, { deadline }, (err, res) => done(err, res!)),
    ).then((res) => documentOf("compliance", res.report, res.reportJson, decodeCompliance));
  }

  acknowledgeFlap(host: string, resource: string): Promise<boolean> {
    return this.unary(`acknowledging flap on ${host}`, (deadline, done) =>
      this.client.AcknowledgeFlap({ host, resource }, { deadline }, (err, res) => done(err, res?.delivered ?? false)),
    );
  }

  /**
   * Streams drift events until the stream ends, fails or `signal` aborts. `onReady` runs once
   * the controller accepted the watch.
   */
  watch(
    host: string,
    signal: AbortSignal,
    onEvent: (d: DriftRecord__Output) => void,
    onReady: () => void,
  ): Promise<WatchEnd> {
    return new Promise((resolve) => {
      const call = this.client.WatchDrift({ host });
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
        finish({ kind: "error", error: this.mapError("watching drift", err), retryable });
      });
      call.on("end", () => finish({ kind: "ended" }));
    });
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(
    what: string,
    call: (deadline: Date, done: (err: grpc.ServiceError | null, value: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      call(new Date(Date.now() + ADMIN_CALL_TIMEOUT_MS), (err, value) =>
        err ? reject(this.mapError(what, err)) : resolve(value),
      );
    });
  }

  private mapError(what: string, err: grpc.ServiceError): Error {
    return adminCallError(what, err, this.target, this.insecure);
  }
}
