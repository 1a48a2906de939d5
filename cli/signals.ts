import type { Logger } from "../common/index.js";

/** Resolves on the first SIGTERM or SIGINT; a second signal exits at once with code 130. */
export function onShutdownSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        log.warn({ signal }, "second signal: exiting without cleanup");
        process.exit(130);
      }
      received = true;
      log.info({ signal }, "shutting down");
      resolve(signal);
    };
    process.on("SIGTERM", handler);
    process.on("SIGINT", handler);
  });
}
