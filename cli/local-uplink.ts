import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { createInterface } from "node:readline";
import type { HostPort } from "../common/address.js";
import { OptionError } from "../common/errors.js";
import { tcpReachable } from "../agent/link/uplink-guard.js";
import type { UplinkGuard } from "../kinds/host/network/commit-confirm.js";

/** The documentation address (TEST-NET-1) whose route is the default route: looked up, never sent to. */
export const DEFAULT_ROUTE_PROBE = "192.0.2.1";

export interface LocalUplinkOptions {
  /** --confirm-timeout: uplink changes allowed under commit-confirm; absent: refused. */
  confirmTimeoutMs?: number;
  /** --confirm-address: what to protect, and confirmed by a TCP connection to it. */
  confirmAddress?: HostPort;
  /** SSH_CONNECTION ("client-ip client-port server-ip server-port"), if any. */
  sshConnection?: string;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/**
 * `apply --local`'s uplink guard: there is no controller, so the uplink is the route to
 * `--confirm-address`, else to the SSH client (SSH_CONNECTION: the operator's session), else
 * the default route. An uplink change needs `--confirm-timeout`; it is then confirmed by a
 * TCP connection to `--confirm-address`, or by the operator typing `yes` on the terminal
 * within the timeout (a change that cut the session off cannot be confirmed, and is undone).
 * Throws OptionError when --confirm-timeout has neither a --confirm-address nor a terminal.
 */
export function localUplinkGuard(o: LocalUplinkOptions): UplinkGuard {
  if (o.confirmTimeoutMs !== undefined && !o.confirmAddress && !o.input.isTTY)
    throw new OptionError(
      "--confirm-timeout",
      "needs --confirm-address HOST:PORT when stdin is not a terminal (nobody could confirm the change)",
    );
  const sshClient = o.sshConnection?.trim().split(/\s+/)[0];
  return {
    timeoutMs: o.confirmTimeoutMs,
    address: async () => {
      if (o.confirmAddress) {
        if (isIP(o.confirmAddress.host)) return o.confirmAddress.host;
        return (await lookup(o.confirmAddress.host).catch(() => null))?.address ?? null;
      }
      if (sshClient && isIP(sshClient)) return sshClient;
      return DEFAULT_ROUTE_PROBE;
    },
    confirm:
      o.confirmTimeoutMs === undefined
        ? undefined
        : o.confirmAddress
          ? async (ms, signal) => {
              const deadline = Date.now() + ms;
              while (Date.now() < deadline && !signal.aborted) {
                if (await tcpReachable(o.confirmAddress!, Math.min(2_000, Math.max(1, deadline - Date.now()))))
                  return true;
                await new Promise((r) => setTimeout(r, 500));
              }
              return false;
            }
          : (ms) => askYes(o.input, o.output, ms),
  };
}

/** Asks the operator on the terminal; true when "yes" is typed within `ms`. */
function askYes(input: NodeJS.ReadStream, output: NodeJS.WriteStream, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output });
    const timer = setTimeout(() => {
      output.write("\nno answer: undoing the change\n");
      rl.close();
      resolve(false);
    }, ms);
    rl.question(
      `The uplink was changed. Type yes within ${Math.round(ms / 1000)} s to keep it (anything else, or nothing, undoes it): `,
      (answer) => {
        clearTimeout(timer);
        rl.close();
        resolve(answer.trim().toLowerCase() === "yes");
      },
    );
  });
}
