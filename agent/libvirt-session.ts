import { describeError } from "../common/errors.js";
import type { Logger } from "../common/logging.js";
import { capabilityFacts, type LibvirtProbe } from "./facts/index.js";
import { Hypervisor } from "../libvirt/index.js";

/**
 * The agent's one libvirt connection, opened lazily: when libvirtd is down at start the agent
 * runs anyway and tries again on the next use; once open, the client reconnects by itself.
 */
export class LibvirtSession {
  private hv: Hypervisor | undefined;
  private opening: Promise<Hypervisor> | undefined;

  constructor(
    readonly socketPath: string,
    private readonly log: Logger,
  ) {}

  /** The open connection, opening it if needed; rejects when libvirtd cannot be reached. */
  get(): Promise<Hypervisor> {
    if (this.hv) return Promise.resolve(this.hv);
    this.opening ??= Hypervisor.open({ socketPath: this.socketPath })
      .then((hv) => {
        this.hv = hv;
        hv.onStateChange((c) => this.log.info({ state: c.state }, "libvirt connection state"));
        this.log.info({ socket: this.socketPath }, "connected to libvirtd");
        return hv;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  /** Whether libvirtd is unreachable now: never connected, or the connection is not ready. */
  get unreachable(): boolean {
    const state = this.hv?.connection?.state;
    return this.hv === undefined || (state !== undefined && state !== "ready");
  }

  /** A facts probe over this connection: version, hypervisor and capabilities. */
  probe(): LibvirtProbe {
    return async () => {
      const hv = await this.get();
      const v = await hv.version();
      let capabilities = null;
      try {
        capabilities = await capabilityFacts(hv);
      } catch (err) {
        this.log.debug({ err: describeError(err) }, "libvirt capabilities unavailable");
      }
      return { version: v.libvirt, hypervisor: v.hypervisor, hypervisorVersion: v.hypervisorVersion, capabilities };
    };
  }

  async close(): Promise<void> {
    const hv = this.hv ?? (await this.opening?.catch(() => undefined));
    this.hv = undefined;
    await hv?.close();
  }
}
