import * as grpc from "@grpc/grpc-js";
import type { AdminServiceClient } from "../generated/proto/fleet/v1/AdminService.js";
import { formatHostPort, type HostPort } from "../common/address.js";
import { ADMIN_CHANNEL_OPTIONS } from "../common/grpc/limits.js";
import { adminProto } from "../common/grpc/load-protos.js";
import { adminChannelCredentials } from "./admin-credentials.js";
import { adminCallError, unreachableEverywhere } from "./admin-errors.js";

/** One unary admin call on `client`, answering through `done` (the grpc-js callback shape). */
export type UnaryCall<T> = (
  client: AdminServiceClient,
  deadline: Date,
  done: (err: grpc.ServiceError | null, value: T) => void,
) => void;

/**
 * True when a failed call reached no controller: UNAVAILABLE (no connection, or the controller
 * said it cannot serve now), or the caller's own deadline passed before the call was sent
 * (grpc-js names the server in `remote_addr=` once it was: then the controller may have acted
 * on it, and the failure is final).
 */
export function reachedNoController(err: grpc.ServiceError): boolean {
  if (err.code === grpc.status.UNAVAILABLE) return true;
  return err.code === grpc.status.DEADLINE_EXCEEDED && !/remote_addr=/.test(err.details ?? "");
}

/**
 * The admin API's channels to one controller or several replicas (`--controller a,b,c`), one
 * lazily made client per address. A unary call goes to the first address; when it reached no
 * controller (reachedNoController) it is made again on the next one, in the order given, each
 * with its own deadline. A read (`readOnly`: nothing changes however often it runs) also moves
 * on when its deadline passed at a controller that took it (a replica too busy to answer).
 * Any other failure is final (a refusal is a refusal). When every address failed, the error
 * names each one and what it said.
 */
export class ControllerChannels {
  readonly targets: readonly string[];
  private readonly clients: (AdminServiceClient | undefined)[];

  constructor(
    addresses: HostPort | readonly HostPort[],
    private readonly insecure: boolean,
  ) {
    const list = Array.isArray(addresses) ? (addresses as readonly HostPort[]) : [addresses as HostPort];
    if (list.length === 0) throw new Error("ControllerChannels: no controller address");
    this.targets = list.map(formatHostPort);
    this.clients = this.targets.map(() => undefined);
  }

  /** The client for `targets[index]` (made on first use). */
  client(index: number): AdminServiceClient {
    let c = this.clients[index];
    if (!c) {
      c = new (adminProto().AdminService)(
        this.targets[index]!,
        adminChannelCredentials(this.insecure),
        ADMIN_CHANNEL_OPTIONS,
      );
      this.clients[index] = c;
    }
    return c;
  }

  /** Runs `call` (`what` names it in errors: "listing hosts") with failover; see the class. */
  async unary<T>(what: string, call: UnaryCall<T>, timeoutMs: number, readOnly = false): Promise<T> {
    const failures: { target: string; err: grpc.ServiceError }[] = [];
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[i]!;
      const outcome = await new Promise<{ ok: true; value: T } | { ok: false; err: grpc.ServiceError }>((resolve) =>
        call(this.client(i), new Date(Date.now() + timeoutMs), (err, value) =>
          resolve(err ? { ok: false, err } : { ok: true, value }),
        ),
      );
      if (outcome.ok) return outcome.value;
      const next = reachedNoController(outcome.err) || (readOnly && outcome.err.code === grpc.status.DEADLINE_EXCEEDED);
      if (!next) throw adminCallError(what, outcome.err, target, this.insecure);
      failures.push({ target, err: outcome.err });
      // the channel stays open for a later call (grpc-js reconnects it on its own)
    }
    if (failures.length === 1) throw adminCallError(what, failures[0]!.err, failures[0]!.target, this.insecure);
    throw unreachableEverywhere(what, failures, this.insecure);
  }

  close(): void {
    for (const c of this.clients) c?.close();
  }
}
