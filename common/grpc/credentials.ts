import * as grpc from "@grpc/grpc-js";
import { OptionError } from "../errors.js";

/**
 * The one place transport security is decided, for the controller's listener, the agent's
 * stream and the CLI's admin calls. mTLS (controller CA, enrolment) replaces the plaintext
 * branch here; callers do not change.
 */
export interface TransportOptions {
  /** Plaintext gRPC. For local demos and tests only; say so loudly. */
  insecure: boolean;
}

const NO_TLS_YET =
  "mTLS (the default) needs the controller CA and enrolment, which this build does not have yet; " +
  "pass --insecure to run plaintext on a trusted network (loopback) for now";

export function serverCredentials(opts: TransportOptions): grpc.ServerCredentials {
  if (!opts.insecure) throw new OptionError("--insecure", NO_TLS_YET);
  return grpc.ServerCredentials.createInsecure();
}

export function channelCredentials(opts: TransportOptions): grpc.ChannelCredentials {
  if (!opts.insecure) throw new OptionError("--insecure", NO_TLS_YET);
  return grpc.credentials.createInsecure();
}
