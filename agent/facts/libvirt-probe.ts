import { connect } from "node:net";
import type { LibvirtCapabilityFacts } from "../../common/facts.js";

/**
 * Asks libvirtd for its facts. Resolves when the daemon answered; rejects (with a message
 * an operator can act on) when it could not be reached or refused.
 */
export type LibvirtProbe = () => Promise<{
  version: string;
  hypervisor: string;
  hypervisorVersion: string | null;
  capabilities: LibvirtCapabilityFacts | null;
}>;

/**
 * Resolves when a unix stream socket at `path` accepts a connection within `timeoutMs`
 * (the connection is closed right away); rejects otherwise.
 */
export function checkUnixSocket(path: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sock = connect({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`libvirt socket ${path} did not accept a connection within ${timeoutMs} ms; is libvirtd hung?`));
    }, timeoutMs);
    timer.unref();
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.end();
      sock.destroy();
      resolve();
    });
    sock.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      const hint =
        err.code === "ENOENT"
          ? "; is libvirtd installed and running?"
          : err.code === "ECONNREFUSED"
            ? "; libvirtd is not listening (stale socket?)"
            : err.code === "EACCES"
              ? "; the agent lacks permission (run as root or in the libvirt group)"
              : "";
      reject(new Error(`cannot connect to libvirt socket ${path}: ${err.code ?? err.message}${hint}`, { cause: err }));
    });
  });
}
