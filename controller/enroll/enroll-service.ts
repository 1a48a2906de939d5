import * as grpc from "@grpc/grpc-js";
import type { EnrollRequest__Output } from "../../generated/proto/fleet/v1/EnrollRequest.js";
import type { EnrollResponse } from "../../generated/proto/fleet/v1/EnrollResponse.js";
import type { EnrollServiceHandlers } from "../../generated/proto/fleet/v1/EnrollService.js";
import type { RenewRequest__Output } from "../../generated/proto/fleet/v1/RenewRequest.js";
import { describeError, ValidationError, type Logger } from "../../common/index.js";
import { HOST_NAME_PATTERN, parseEnrolToken } from "../../common/pki/index.js";
import type { Caller } from "../auth/index.js";
import type { ControllerPki, Issued } from "../pki/index.js";
import { AttemptLimiter, peerAddress } from "./attempt-limiter.js";
import type { TokenStore } from "./token-store.js";

/** What other parts may learn about enrolments (e.g. the audit log). Called after the answer is sent. */
export interface EnrollEvents {
  onEnrolled?(e: { host: string; serial: string; notAfter: string; peer: string }): void;
  onRenewed?(e: { host: string; serial: string; notAfter: string; peer: string }): void;
}

export interface EnrollServiceDeps {
  pki: ControllerPki;
  tokens: TokenStore;
  callerOf: (call: grpc.ServerUnaryCall<unknown, unknown>) => Caller;
  log: Logger;
  events?: EnrollEvents;
  limiter?: AttemptLimiter;
}

type Reply = grpc.sendUnaryData<EnrollResponse>;

/** A refusal with its gRPC status. */
class Refusal extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * EnrollService. Enroll (no client certificate; the token authorizes): checks the token's CA
 * fingerprint, the host name, the CSR (CN = host), then spends one use of the token and
 * issues the agent certificate. Renew (an agent certificate, checked by the transport gate
 * and again here): issues a new certificate for the same host, never another. Refused:
 * INVALID_ARGUMENT (malformed), PERMISSION_DENIED (token unknown/used/expired/bound
 * elsewhere, or not an agent), RESOURCE_EXHAUSTED (too many refused attempts from one address).
 */
export class EnrollService {
  private readonly limiter: AttemptLimiter;

  constructor(private readonly deps: EnrollServiceDeps) {
    this.limiter = deps.limiter ?? new AttemptLimiter();
  }

  handlers(): EnrollServiceHandlers {
    return {
      Enroll: (call, callback) => void this.answer(call, callback, () => this.enroll(call.request, call.getPeer())),
      Renew: (call, callback) => void this.answer(call, callback, () => this.renew(call, call.request)),
    };
  }

  private async answer(
    call: grpc.ServerUnaryCall<unknown, unknown>,
    callback: Reply,
    work: () => Promise<Issued>,
  ): Promise<void> {
    const address = peerAddress(call.getPeer());
    if (this.limiter.blocked(address)) {
      this.deps.log.warn({ peer: call.getPeer() }, "enrolment refused: too many refused attempts from this address");
      return callback({
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: "too many refused enrolment attempts from this address; wait a minute",
      });
    }
    try {
      const issued = await work();
      callback(null, { certificatePem: issued.certificatePem, caPem: issued.caPem, notAfter: issued.notAfter });
    } catch (err) {
      const code =
        err instanceof Refusal
          ? err.code
          : err instanceof ValidationError
            ? grpc.status.INVALID_ARGUMENT
            : grpc.status.INTERNAL;
      if (code !== grpc.status.INTERNAL) this.limiter.fail(address);
      const message = describeError(err);
      this.deps.log.warn(
        { peer: call.getPeer(), method: call.getPath(), code: grpc.status[code], reason: message },
        "enrolment refused",
      );
      callback({ code, details: message });
    }
  }

  private async enroll(req: EnrollRequest__Output, peer: string): Promise<Issued> {
    const { pki, tokens, log } = this.deps;
    const host = req.hostName;
    if (!HOST_NAME_PATTERN.test(host))
      throw new Refusal(grpc.status.INVALID_ARGUMENT, `"${host.slice(0, 80)}" is not a valid host name`);
    const token = parseEnrolToken(req.token);
    if (token.caFingerprint !== pki.caFingerprint) {
      throw new Refusal(
        grpc.status.PERMISSION_DENIED,
        "the enrolment token was made by another controller (its CA fingerprint is not this controller's)",
      );
    }
    const csr = await pki.csr(req.csrPem);
    if (csr.commonName !== host)
      throw new Refusal(
        grpc.status.INVALID_ARGUMENT,
        `the CSR names "${csr.commonName.slice(0, 80)}", not the host "${host}"`,
      );
    const use = await tokens.use(token.secret, host);
    if (!use.ok) throw new Refusal(grpc.status.PERMISSION_DENIED, use.reason);
    let issued: Issued;
    try {
      issued = await pki.issueAgent(host, req.csrPem);
    } catch (err) {
      await tokens.refund(use.hash);
      throw err;
    }
    const serial = issued.cert.serialNumber.toLowerCase();
    const before = (await pki.registry.issuedTo("agent", host)).length - 1;
    log.info(
      { host, peer, serial, notAfter: issued.notAfter, earlierCertificates: before },
      before > 0 ? "host enrolled again (new certificate)" : "host enrolled",
    );
    this.deps.events?.onEnrolled?.({ host, serial, notAfter: issued.notAfter, peer });
    return issued;
  }

  private async renew(call: grpc.ServerUnaryCall<unknown, unknown>, req: RenewRequest__Output): Promise<Issued> {
    const caller = this.deps.callerOf(call);
    if (caller.kind !== "agent") {
      throw new Refusal(
        grpc.status.PERMISSION_DENIED,
        `Renew needs a valid agent certificate (${caller.kind === "anonymous" ? caller.reason : "an admin certificate is not one"}); an expired certificate cannot be renewed: enrol again with a token`,
      );
    }
    const csr = await this.deps.pki.csr(req.csrPem);
    if (csr.commonName !== caller.host)
      throw new Refusal(
        grpc.status.PERMISSION_DENIED,
        `the CSR names "${csr.commonName.slice(0, 80)}" but this certificate is for "${caller.host}"`,
      );
    const issued = await this.deps.pki.issueAgent(caller.host, req.csrPem);
    const serial = issued.cert.serialNumber.toLowerCase();
    this.deps.log.info(
      { host: caller.host, peer: call.getPeer(), serial, notAfter: issued.notAfter },
      "agent certificate renewed",
    );
    this.deps.events?.onRenewed?.({ host: caller.host, serial, notAfter: issued.notAfter, peer: call.getPeer() });
    return issued;
  }
}
