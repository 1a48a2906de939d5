/**
 * Opens a unix stream socket to libvirtd.
 *
 * Contract:
 * - `dialUnix()` resolves with a connected socket, or rejects with `LibvirtConnectionError`:
 *   `socket-absent` (ENOENT), `access-denied` (EACCES/EPERM), `refused` (ECONNREFUSED or any
 *   other failure), `connect-timeout` (no connection within `timeoutMs`).
 * - `onConnected` runs synchronously when the socket connects, before the promise settles,
 *   so the caller's listeners are attached before any event of the new socket can fire.
 * - The timer never keeps the process alive.
 */
import net from "node:net";
import { LibvirtConnectionError } from "../errors.js";

export function dialUnix(
  path: string,
  timeoutMs: number,
  onConnected: (socket: net.Socket) => void = () => {},
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path });
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new LibvirtConnectionError(
          "connect-timeout",
          path,
          `connecting to libvirt socket ${path} timed out after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    timer.unref();
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(dialError(path, err));
    };
    s.once("error", onError);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeListener("error", onError);
      onConnected(s);
      resolve(s);
    });
  });
}

/** An operator-actionable error for a failed connect to `path`. */
export function dialError(path: string, err: NodeJS.ErrnoException): LibvirtConnectionError {
  const e = (reason: "socket-absent" | "access-denied" | "refused", message: string) =>
    new LibvirtConnectionError(reason, path, message, { cause: err });
  switch (err.code) {
    case "ENOENT":
      return e(
        "socket-absent",
        `libvirt socket ${path} does not exist; is libvirtd running? (start it with \`libvirtd -d\`)`,
      );
    case "EACCES":
    case "EPERM":
      return e(
        "access-denied",
        `permission denied opening libvirt socket ${path}; run as root or as a member of the libvirt group`,
      );
    case "ECONNREFUSED":
      return e("refused", `nothing is listening on libvirt socket ${path}; libvirtd is not running (stale socket)`);
    default:
      return e("refused", `cannot connect to libvirt socket ${path}: ${err.message}`);
  }
}
