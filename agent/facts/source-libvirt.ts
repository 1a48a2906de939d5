import type { LibvirtFacts } from "../../common/facts.js";
import { describeError } from "../../common/errors.js";
import type { Context } from "./context.js";
import { checkUnixSocket } from "./libvirt-probe.js";
import { withTimeout } from "./limit.js";

/** Upper bound for the default probe's connect test. */
export const DEFAULT_SOCKET_CONNECT_TIMEOUT_MS = 2_000;

/**
 * libvirt facts. With an injected probe: its answer (reachable) or its error (unreachable,
 * `error` set), bounded by `libvirtTimeoutMs`. Without one: reachable when `libvirtSocket`
 * accepts a unix-socket connection; version and the rest stay null. Never rejects.
 */
export async function collectLibvirt(ctx: Context): Promise<LibvirtFacts> {
  const socket = ctx.opts.libvirtSocket;
  const base: LibvirtFacts = {
    reachable: false,
    socket,
    version: null,
    hypervisor: null,
    hypervisorVersion: null,
    capabilities: null,
    error: null,
  };
  try {
    const probe = ctx.opts.libvirtProbe;
    if (probe === null) {
      await checkUnixSocket(socket, Math.min(DEFAULT_SOCKET_CONNECT_TIMEOUT_MS, ctx.opts.libvirtTimeoutMs));
      return { ...base, reachable: true };
    }
    const r = await withTimeout(Promise.resolve().then(probe), ctx.opts.libvirtTimeoutMs, "libvirt probe");
    return {
      ...base,
      reachable: true,
      version: r.version,
      hypervisor: r.hypervisor,
      hypervisorVersion: r.hypervisorVersion ?? null,
      capabilities: r.capabilities ?? null,
    };
  } catch (err) {
    return { ...base, error: describeError(err) };
  }
}
