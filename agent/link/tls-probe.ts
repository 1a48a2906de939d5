import { connect } from "node:tls";
import type { HostPort } from "../../common/address.js";

/**
 * Whether `address` answers a TLS handshake within `timeoutMs` (no certificate checked,
 * nothing sent after the handshake; the socket is closed at once). A plaintext agent uses it
 * to tell "the controller is down" from "the controller speaks TLS and --insecure is wrong":
 * grpc-js reports both as "Failed to connect". False on any error or timeout.
 */
export function speaksTls(address: HostPort, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({
      host: address.host,
      port: address.port,
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
      servername: /^[\d.:]+$/.test(address.host) ? undefined : address.host,
    });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.once("secureConnect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}
