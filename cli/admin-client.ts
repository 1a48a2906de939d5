import * as grpc from "@grpc/grpc-js";
import type { AdminServiceClient } from "../generated/proto/fleet/v1/AdminService.js";
import type { GetHostResponse__Output } from "../generated/proto/fleet/v1/GetHostResponse.js";
import type { HostRecord__Output } from "../generated/proto/fleet/v1/HostRecord.js";
import type { ListPoliciesResponse__Output } from "../generated/proto/fleet/v1/ListPoliciesResponse.js";
import { channelCredentials, CLIENT_CHANNEL_OPTIONS, fleetProto, formatHostPort, NotFoundError, ValidationError, VirtfleetError, type HostPort } from "../common/index.js";

export const ADMIN_CALL_TIMEOUT_MS = 10_000;

export class ControllerUnreachableError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONTROLLER_UNREACHABLE", message, options);
  }
}

/** The CLI's view of the controller's admin API; every call has a deadline and a clear error. */
export class AdminClient {
  private readonly client: AdminServiceClient;
  private readonly target: string;

  constructor(address: HostPort, insecure: boolean) {
    this.target = formatHostPort(address);
    this.client = new (fleetProto().AdminService)(this.target, channelCredentials({ insecure }), CLIENT_CHANNEL_OPTIONS);
  }

  /** Hosts in `query.group` matching `query.selector` (both optional); a bad selector or unknown group rejects with a ValidationError. */
  listHosts(query: { group?: string; selector?: string } = {}): Promise<HostRecord__Output[]> {
    return this.unary<HostRecord__Output[]>("listing hosts", (deadline, done) =>
      this.client.ListHosts({ group: query.group ?? "", selector: query.selector ?? "" }, { deadline }, (err, res) => done(err, res?.hosts ?? [])),
    );
  }

  getHost(name: string, historyLimit = 0): Promise<GetHostResponse__Output> {
    return this.unary<GetHostResponse__Output>(`reading host ${name}`, (deadline, done) =>
      this.client.GetHost({ name, historyLimit }, { deadline }, (err, res) => done(err, res!)),
    );
  }

  listPolicies(history = 0): Promise<ListPoliciesResponse__Output> {
    return this.unary<ListPoliciesResponse__Output>("listing policies", (deadline, done) =>
      this.client.ListPolicies({ history }, { deadline }, (err, res) => done(err, res!)),
    );
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(what: string, call: (deadline: Date, done: (err: grpc.ServiceError | null, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      call(new Date(Date.now() + ADMIN_CALL_TIMEOUT_MS), (err, value) => {
        if (!err) return resolve(value);
        if (err.code === grpc.status.NOT_FOUND) return reject(new NotFoundError(err.details, { cause: err }));
        if (err.code === grpc.status.INVALID_ARGUMENT) return reject(new ValidationError(`${what}: ${err.details}`, { cause: err }));
        if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
          return reject(
            new ControllerUnreachableError(
              `${what}: cannot reach the controller at ${this.target} (${err.details}); is 'virtfleet controller' running there? Set --controller or VIRTFLEET_CONTROLLER`,
              { cause: err },
            ),
          );
        }
        reject(new VirtfleetError("ADMIN_CALL", `${what} failed: ${err.details || err.message}`, { cause: err }));
      });
    });
  }
}
