import { randomUUID } from "node:crypto";
import { describeError, type Logger } from "../../common/index.js";
import type { HostStore } from "../hosts/index.js";
import type { ReplicaSignals, Signal } from "../replicas/index.js";
import type { AgentService } from "./agent-service.js";

/** `revoke` ids naming an admin (host names never contain ':'). */
const ADMIN_PREFIX = "admin:";
/** `command` ids: `resync:<host>`. */
const RESYNC_PREFIX = "resync:";

/** Sends Command.resync on `host`'s stream when it is here (true), else nothing (false). */
export function sendResync(agents: AgentService, host: string): boolean {
  const session = agents.session(host);
  if (!session || session.closed) return false;
  session.send({ command: { id: randomUUID(), resync: {} } });
  return true;
}

export interface StreamRelayOptions {
  agents: AgentService;
  signals: ReplicaSignals;
  hosts: Pick<HostStore, "streamOf" | "streamsOf">;
  /**
   * Re-reads the revoked certificates (CertificateRegistry.refresh) so that this replica
   * refuses them too (agents at their next handshake, admins at their next call); absent
   * with --insecure (nothing is ever revoked).
   */
  refreshRevocations?: () => Promise<void>;
  log: Logger;
}

/**
 * What one replica does to a host's stream another replica holds (signals carry ids only):
 * - `revoked(hosts, reason)` — after the revocation committed: ends the hosts' streams here,
 *   and publishes `revoke`; every other replica re-reads the revocations
 *   (`refreshRevocations`) and ends those hosts' streams it holds. `adminRevoked(name)`:
 *   the same for an admin's certificates (re-read everywhere; no stream to end). After a
 *   lost signal connection the revocations are re-read and every stream's certificate is
 *   checked again (AgentService.recheckCertificates): one revoked meanwhile is ended then.
 * - `resync(host)`: Command.resync on the stream here, or, when the store says another
 *   replica holds it, a `command` signal `resync:<host>` that replica acts on.
 * Without replicas (LocalSignals) this is AgentService.disconnect and sendResync, and its
 * own signals are ignored.
 */
export class StreamRelay {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly o: StreamRelayOptions) {}

  /** Subscribes to the other replicas' `revoke` and `command` signals. */
  start(): void {
    const { signals } = this.o;
    this.unsubscribe.push(
      signals.subscribe("revoke", (s) => void this.onRevoke(s)),
      signals.subscribe("command", (s) => this.onCommand(s)),
      signals.onResync(() => void this.recheck()),
    );
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /**
   * `hosts`' certificates were revoked (committed): their streams end here at once and on
   * the other replicas when they hear it. True when one of them had a stream here.
   */
  async revoked(hosts: readonly string[], reason: string): Promise<boolean> {
    let here = false;
    for (const host of hosts) here = this.o.agents.disconnect(host, reason) || here;
    await this.o.signals.publish("revoke", hosts);
    return here;
  }

  /** Admin `name`'s certificates were revoked (committed): every replica re-reads the revocations. */
  async adminRevoked(name: string): Promise<void> {
    await this.o.signals.publish("revoke", [ADMIN_PREFIX + name]);
  }

  /**
   * Command.resync for `host`: "sent" on the stream here, "forwarded" to the replica the
   * store says holds it (it sends it when it hears the signal; not confirmed back), or
   * "not-connected".
   */
  async resync(host: string): Promise<"sent" | "forwarded" | "not-connected"> {
    if (sendResync(this.o.agents, host)) return "sent";
    const stream = await this.o.hosts.streamOf(host);
    if (!stream?.connected || stream.replica === this.o.signals.replica) return "not-connected";
    await this.o.signals.publish("command", [RESYNC_PREFIX + host]);
    return "forwarded";
  }

  /**
   * `resync` for many hosts: one store read and one signal (split into payloads) for all the
   * streams held elsewhere.
   */
  async resyncMany(hosts: readonly string[]): Promise<{ sent: string[]; forwarded: string[]; notConnected: string[] }> {
    const sent: string[] = [];
    const elsewhere: string[] = [];
    for (const host of hosts) (sendResync(this.o.agents, host) ? sent : elsewhere).push(host);
    const streams = await this.o.hosts.streamsOf(elsewhere);
    const forwarded: string[] = [];
    const notConnected: string[] = [];
    for (const host of elsewhere) {
      const s = streams.get(host);
      (s?.connected && s.replica !== this.o.signals.replica ? forwarded : notConnected).push(host);
    }
    await this.o.signals.publish(
      "command",
      forwarded.map((h) => RESYNC_PREFIX + h),
    );
    return { sent, forwarded, notConnected };
  }

  private async onRevoke(signal: Signal): Promise<void> {
    if (signal.from === this.o.signals.replica) return;
    // First the registry: a host cut here must not be let in again by this replica.
    await this.refresh();
    for (const id of signal.ids) {
      if (id.startsWith(ADMIN_PREFIX)) continue;
      this.o.agents.disconnect(id, `certificate revoked (on controller replica ${signal.from})`);
    }
  }

  private onCommand(signal: Signal): void {
    if (signal.from === this.o.signals.replica) return;
    for (const id of signal.ids) {
      if (!id.startsWith(RESYNC_PREFIX)) continue;
      const host = id.slice(RESYNC_PREFIX.length);
      if (sendResync(this.o.agents, host))
        this.o.log.info({ host, from: signal.from }, "resync sent for another controller replica");
    }
  }

  /** Revocations may have been missed: re-read them and end the streams whose certificate is now refused. */
  private async recheck(): Promise<void> {
    await this.refresh();
    const cut = this.o.agents.recheckCertificates();
    if (cut.length > 0) this.o.log.warn({ hosts: cut }, "streams of certificates revoked meanwhile ended");
  }

  private async refresh(): Promise<void> {
    try {
      await this.o.refreshRevocations?.();
    } catch (err) {
      this.o.log.error({ err: describeError(err) }, "re-reading the revoked certificates failed");
    }
  }
}
