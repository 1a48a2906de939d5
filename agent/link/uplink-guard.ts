import { lookup } from "node:dns/promises";
import { isIP, connect } from "node:net";
import type { HostPort } from "../../common/address.js";
import type { UplinkGuard } from "../../kinds/index.js";

/** Whether a TCP connection to `address` opens within `timeoutMs` (closed at once). */
export function tcpReachable(address: HostPort, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export const CONFIRM_POLL_MS = 500;

/**
 * The agent's uplink guard (kinds/host/network/commit-confirm.ts): the uplink is the route to
 * the address of `controller()` — the controller the link is on, or tried last, when there are
 * several replicas (a name is resolved at each check); a change of it is confirmed
 * when, after the change, the controller stream is READY (`linkReady`, the link's state
 * machine) and a fresh TCP connection to that controller opens — a stream that looks READY
 * over a path the change just broke is not taken for a confirmation. Polled every
 * CONFIRM_POLL_MS until `timeoutMs`.
 */
export function controllerUplinkGuard(
  controller: () => HostPort,
  linkReady: () => boolean,
  timeoutMs: number | undefined,
): UplinkGuard {
  return {
    timeoutMs,
    address: async () => {
      const { host } = controller();
      if (isIP(host)) return host;
      try {
        return (await lookup(host)).address;
      } catch {
        return null; // unresolvable: no route to protect can be named
      }
    },
    confirm: async (ms, signal) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && !signal.aborted) {
        const left = Math.max(1, deadline - Date.now());
        if (linkReady() && (await tcpReachable(controller(), Math.min(2_000, left)))) return true;
        await new Promise((r) => setTimeout(r, Math.min(CONFIRM_POLL_MS, Math.max(0, deadline - Date.now()))).unref());
      }
      return false;
    },
  };
}
