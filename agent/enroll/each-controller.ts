import { formatHostPort, type HostPort } from "../../common/address.js";
import { EnrolmentError } from "./errors.js";

/**
 * Runs `call` (an enrolment or a renewal) on each controller of `controllers` in turn, until
 * one answers: the replicas share one CA and one store, so any of them will do. A permanent
 * EnrolmentError (a refusal, a CA pin mismatch) or any other error ends it at once — a refusal
 * is a refusal; when every controller failed transiently (unreachable), one transient
 * EnrolmentError names each address and what it said. With one controller, its own error.
 */
export async function onFirstController<T>(
  controllers: readonly HostPort[],
  call: (controller: HostPort) => Promise<T>,
): Promise<T> {
  if (controllers.length === 0) throw new Error("onFirstController: no controller address");
  const failures: { controller: HostPort; err: EnrolmentError }[] = [];
  for (const controller of controllers) {
    try {
      return await call(controller);
    } catch (err) {
      if (!(err instanceof EnrolmentError) || err.permanent) throw err;
      failures.push({ controller, err });
    }
  }
  if (failures.length === 1) throw failures[0]!.err;
  throw new EnrolmentError(
    `no controller answered: ${failures.map((f) => `${formatHostPort(f.controller)}: ${f.err.message}`).join("; ")}`,
    false,
  );
}
