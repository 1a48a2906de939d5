import { backoffDelay, type BackoffOptions } from "../../common/backoff.js";
import { describeError, OptionError } from "../../common/errors.js";
import type { HostPort } from "../../common/address.js";
import type { Logger } from "../../common/logging.js";
import { keyMatchesCertificate, keyPairFromPem, parseEnrolToken, x509 } from "../../common/pki/index.js";
import { loadCredentials, saveCredentials, tlsDir, type AgentCredentials } from "./credential-store.js";
import { enrol } from "./enroll-client.js";
import { onFirstController } from "./each-controller.js";
import { EnrolmentError } from "./errors.js";

export interface CredentialOptions {
  /** The controller, or its replicas in the order this host tries them (link/controller-choice.ts inHostOrder). */
  controllers: readonly HostPort[];
  host: string;
  stateDir: string;
  /** `--token`: needed only when this host has no usable stored credentials. */
  token?: string;
  /** Waits between enrolment attempts while the controller is unreachable. */
  backoff: BackoffOptions;
  log: Logger;
  /** Aborts the wait for an unreachable controller (agent stopping). */
  signal?: AbortSignal;
}

/**
 * Decides what this host authenticates with, at start: stored credentials in `<state>/tls/`
 * when they exist, name this host, and come from the controller the token (if any) names;
 * else enrolment with the token. Contract:
 * - no usable credentials and no token: OptionError (--token), nothing can connect;
 * - a token refused, a CA pin mismatch, a bad answer: EnrolmentError (permanent), thrown;
 * - controller unreachable while enrolling: the next controller of the list is tried at once;
 *   when none answered, the round is retried after a backoff, until one answers or `signal`;
 * - expired stored credentials without a token: returned anyway (logged as an error; the
 *   agent keeps enforcing its cached bundle, the controller refuses the stream).
 * `enrolled` says whether the token was spent.
 */
export async function obtainCredentials(
  o: CredentialOptions,
): Promise<{ credentials: AgentCredentials; enrolled: boolean }> {
  const token = o.token ? { ...parseEnrolToken(o.token), text: o.token.trim() } : undefined;
  const stored = loadCredentials(o.stateDir);
  if (stored) {
    const why = await unusable(stored, o.host, token?.caFingerprint);
    if (!why) {
      if (token)
        o.log.info(
          { host: stored.host },
          "already enrolled: using the stored certificate (the token is kept for when the controller refuses it)",
        );
      return { credentials: stored, enrolled: false };
    }
    if (!token) {
      if (why.startsWith("expired")) {
        o.log.error(
          { dir: tlsDir(o.stateDir), notAfter: new Date(stored.notAfter).toISOString() },
          `the stored certificate ${why}; enrol again with --token-file FILE (or VIRTFLEET_TOKEN) holding a token from 'virtfleet token create'`,
        );
        return { credentials: stored, enrolled: false };
      }
      throw new OptionError(
        "--token-file",
        `the credentials in ${tlsDir(o.stateDir)} cannot be used: ${why}; enrol again with --token-file FILE (or VIRTFLEET_TOKEN) holding a token from 'virtfleet token create'`,
      );
    }
    o.log.info({ reason: why }, "enrolling again with the token");
  } else if (!token) {
    throw new OptionError(
      "--token-file",
      `this host is not enrolled (no credentials in ${tlsDir(o.stateDir)}): pass --token-file FILE (or VIRTFLEET_TOKEN) with a token from 'virtfleet token create' on the controller, or --insecure for a controller started with --insecure`,
    );
  }
  const creds = await enrolWithRetry(o, token!);
  saveCredentials(o.stateDir, creds);
  o.log.info(
    {
      host: creds.host,
      serial: creds.serial,
      notAfter: new Date(creds.notAfter).toISOString(),
      dir: tlsDir(o.stateDir),
    },
    "enrolled: certificate stored",
  );
  return { credentials: creds, enrolled: true };
}

/** Why stored credentials cannot be used (undefined: they can). */
async function unusable(c: AgentCredentials, host: string, tokenCa: string | undefined): Promise<string | undefined> {
  if (c.host !== host) return `they are for host "${c.host}", not "${host}" (--name)`;
  if (tokenCa && tokenCa !== c.caFingerprint) return "the token is from another controller (another CA)";
  try {
    if (
      !(await keyMatchesCertificate(
        await keyPairFromPem(c.keyPem, "the agent key"),
        new x509.X509Certificate(c.certPem),
      ))
    )
      return "the key does not match the certificate (an interrupted enrolment?)";
  } catch (err) {
    return `the key is unreadable: ${describeError(err)}`;
  }
  if (Date.now() > c.notAfter) return `expired at ${new Date(c.notAfter).toISOString()}`;
  return undefined;
}

async function enrolWithRetry(o: CredentialOptions, token: Parameters<typeof enrol>[1]): Promise<AgentCredentials> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await onFirstController(o.controllers, (controller) => enrol(controller, token, o.host));
    } catch (err) {
      if (!(err instanceof EnrolmentError) || err.permanent) throw err;
      if (o.signal?.aborted) throw err;
      const wait = backoffDelay(attempt, o.backoff);
      o.log.warn({ err: describeError(err), attempt: attempt + 1, retryInMs: wait }, "enrolment failed; will retry");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        o.signal?.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}
