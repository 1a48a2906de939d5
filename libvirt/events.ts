/**
 * Server-pushed events as async iterables.
 *
 * Contract:
 * - One daemon-side registration per event source, shared by all subscribers and
 *   deregistered when the last subscriber goes (abort of its signal, or `return()`).
 * - The socket reader only appends to each subscriber's bounded buffer (`AsyncQueue`),
 *   so a slow consumer never blocks it; on overflow the consumer gets an `overflow` event.
 * - Events carry no trusted state: consumers re-read what changed.
 * - When the connection is lost each subscriber gets `{kind: "connection", state:
 *   "lost"}`; after the automatic reconnect the hub re-registers every source and then
 *   delivers `{kind: "connection", state: "restored"}` — the signal to resync. When the
 *   connection is closed for good, every iterator ends.
 */
import type { LibvirtConnection } from "./rpc/connection.js";
import type { StateChange } from "./rpc/state.js";
import {
  DOMAIN_EVENT_DETAILS,
  DOMAIN_EVENT_TYPES,
  DomainEventId,
  NETWORK_EVENT_TYPES,
  NetworkEventId,
  POOL_EVENT_TYPES,
  Proc,
  StoragePoolEventId,
  type DomainEventType,
} from "./constants.js";
import { isConnectionError, isTimeout } from "./errors.js";
import { AsyncQueue } from "./queue.js";
import type { LibvirtRemote } from "./remote.js";
import {
  readDomain,
  readNetwork,
  readOptionalString,
  readPool,
  readString,
  type DomainRef,
  type NetworkRef,
  type PoolRef,
} from "./types.js";
import { XdrReader } from "./xdr.js";

export const DEFAULT_EVENT_BUFFER = 10_000;

export interface DomainLifecycleEvent {
  kind: "domain-lifecycle";
  domain: DomainRef;
  /** `unknown` when the daemon sends a value newer than this client knows. */
  event: DomainEventType | "unknown";
  /** e.g. `destroyed`, `booted`; `unknown` when not known to this client. */
  detail: string;
  eventCode: number;
  detailCode: number;
}

export interface DomainMetadataChangeEvent {
  kind: "domain-metadata-change";
  domain: DomainRef;
  /** virDomainMetadataType */
  type: number;
  nsuri: string | null;
}

export interface DomainDeviceRemovedEvent {
  kind: "domain-device-removed";
  domain: DomainRef;
  devAlias: string;
}

export interface NetworkLifecycleEvent {
  kind: "network-lifecycle";
  network: NetworkRef;
  event: (typeof NETWORK_EVENT_TYPES)[number] | "unknown";
  eventCode: number;
  detailCode: number;
}

export interface PoolLifecycleEvent {
  kind: "pool-lifecycle";
  pool: PoolRef;
  event: (typeof POOL_EVENT_TYPES)[number] | "unknown";
  eventCode: number;
  detailCode: number;
}

export interface PoolRefreshEvent {
  kind: "pool-refresh";
  pool: PoolRef;
}

export interface ConnectionEvent {
  kind: "connection";
  state: "lost" | "restored";
  /** Connection generation (see LibvirtConnection.generation). */
  generation: number;
  error?: Error;
}

export interface OverflowEvent {
  kind: "overflow";
  /** Events dropped because the consumer fell behind; resync. */
  dropped: number;
}

export type HypervisorEvent =
  | DomainLifecycleEvent
  | DomainMetadataChangeEvent
  | DomainDeviceRemovedEvent
  | NetworkLifecycleEvent
  | PoolLifecycleEvent
  | PoolRefreshEvent
  | ConnectionEvent
  | OverflowEvent;

export type EventSource =
  | "domain-lifecycle"
  | "domain-metadata-change"
  | "domain-device-removed"
  | "network-lifecycle"
  | "pool-lifecycle"
  | "pool-refresh";

export const ALL_EVENT_SOURCES: readonly EventSource[] = [
  "domain-lifecycle",
  "domain-metadata-change",
  "domain-device-removed",
  "network-lifecycle",
  "pool-lifecycle",
  "pool-refresh",
];

/** An async iterable of events; `ready` resolves once the daemon has registered them. */
export interface EventSubscription<T = HypervisorEvent> extends AsyncIterableIterator<T> {
  readonly ready: Promise<void>;
}

type Family = "domain" | "network" | "pool";

interface SourceSpec {
  family: Family;
  register(remote: LibvirtRemote): Promise<number>;
  deregister(remote: LibvirtRemote, callbackId: number): Promise<void>;
}

const SOURCES: Record<EventSource, SourceSpec> = {
  "domain-lifecycle": {
    family: "domain",
    register: (r) => r.connectDomainEventCallbackRegisterAny(DomainEventId.LIFECYCLE, null),
    deregister: (r, id) => r.connectDomainEventCallbackDeregisterAny(id),
  },
  "domain-metadata-change": {
    family: "domain",
    register: (r) => r.connectDomainEventCallbackRegisterAny(DomainEventId.METADATA_CHANGE, null),
    deregister: (r, id) => r.connectDomainEventCallbackDeregisterAny(id),
  },
  "domain-device-removed": {
    family: "domain",
    register: (r) => r.connectDomainEventCallbackRegisterAny(DomainEventId.DEVICE_REMOVED, null),
    deregister: (r, id) => r.connectDomainEventCallbackDeregisterAny(id),
  },
  "network-lifecycle": {
    family: "network",
    register: (r) => r.connectNetworkEventRegisterAny(NetworkEventId.LIFECYCLE, null),
    deregister: (r, id) => r.connectNetworkEventDeregisterAny(id),
  },
  "pool-lifecycle": {
    family: "pool",
    register: (r) => r.connectStoragePoolEventRegisterAny(StoragePoolEventId.LIFECYCLE, null),
    deregister: (r, id) => r.connectStoragePoolEventDeregisterAny(id),
  },
  "pool-refresh": {
    family: "pool",
    register: (r) => r.connectStoragePoolEventRegisterAny(StoragePoolEventId.REFRESH, null),
    deregister: (r, id) => r.connectStoragePoolEventDeregisterAny(id),
  },
};

function named<T extends string>(names: readonly T[], code: number): T | "unknown" {
  return names[code] ?? "unknown";
}

/** Decodes an event message body into its callback id and event; null for procedures we do not handle. */
export function decodeEventMessage(
  procedure: number,
  body: Buffer,
): { family: Family; callbackId: number; event: HypervisorEvent } | null {
  const r = new XdrReader(body);
  let out: { family: Family; callbackId: number; event: HypervisorEvent };
  switch (procedure) {
    case Proc.DOMAIN_EVENT_CALLBACK_LIFECYCLE: {
      const callbackId = r.int();
      const domain = readDomain(r);
      const eventCode = r.int();
      const detailCode = r.int();
      const event = named(DOMAIN_EVENT_TYPES, eventCode);
      const detail = event === "unknown" ? "unknown" : (DOMAIN_EVENT_DETAILS[event][detailCode] ?? "unknown");
      out = {
        family: "domain",
        callbackId,
        event: { kind: "domain-lifecycle", domain, event, detail, eventCode, detailCode },
      };
      break;
    }
    case Proc.DOMAIN_EVENT_CALLBACK_METADATA_CHANGE: {
      const callbackId = r.int();
      const domain = readDomain(r);
      const type = r.int();
      const nsuri = readOptionalString(r);
      out = { family: "domain", callbackId, event: { kind: "domain-metadata-change", domain, type, nsuri } };
      break;
    }
    case Proc.DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED: {
      const callbackId = r.int();
      const domain = readDomain(r);
      const devAlias = readString(r);
      out = { family: "domain", callbackId, event: { kind: "domain-device-removed", domain, devAlias } };
      break;
    }
    case Proc.NETWORK_EVENT_LIFECYCLE: {
      const callbackId = r.int();
      const network = readNetwork(r);
      const eventCode = r.int();
      const detailCode = r.int();
      out = {
        family: "network",
        callbackId,
        event: {
          kind: "network-lifecycle",
          network,
          event: named(NETWORK_EVENT_TYPES, eventCode),
          eventCode,
          detailCode,
        },
      };
      break;
    }
    case Proc.STORAGE_POOL_EVENT_LIFECYCLE: {
      const callbackId = r.int();
      const pool = readPool(r);
      const eventCode = r.int();
      const detailCode = r.int();
      out = {
        family: "pool",
        callbackId,
        event: { kind: "pool-lifecycle", pool, event: named(POOL_EVENT_TYPES, eventCode), eventCode, detailCode },
      };
      break;
    }
    case Proc.STORAGE_POOL_EVENT_REFRESH: {
      const callbackId = r.int();
      const pool = readPool(r);
      out = { family: "pool", callbackId, event: { kind: "pool-refresh", pool } };
      break;
    }
    default:
      return null;
  }
  r.end();
  return out;
}

interface Sink {
  queue: AsyncQueue<HypervisorEvent>;
  sources: readonly EventSource[];
}

interface Registration {
  source: EventSource;
  callbackId: number | null;
  registering: Promise<void> | null;
  sinks: Set<Sink>;
}

export class EventHub {
  private readonly regs = new Map<EventSource, Registration>();
  private readonly byCallback = new Map<string, Registration>();
  private readonly sinks = new Set<Sink>();

  constructor(
    private readonly conn: LibvirtConnection,
    private readonly remote: LibvirtRemote,
  ) {
    conn.onMessage((proc, body) => this.onMessage(proc, body));
    conn.onStateChange((change) => this.onStateChange(change));
  }

  subscribe(
    sources: readonly EventSource[],
    signal: AbortSignal,
    maxBuffered = DEFAULT_EVENT_BUFFER,
  ): EventSubscription {
    const unique = [...new Set(sources)];
    let sink: Sink;
    const queue = new AsyncQueue<HypervisorEvent>(
      maxBuffered,
      (dropped) => ({ kind: "overflow", dropped }),
      () => this.detach(sink),
    );
    sink = { queue, sources: unique };
    let ready: Promise<void>;
    if (signal.aborted || this.conn.state === "closed") {
      queue.end();
      ready = Promise.resolve();
    } else {
      this.sinks.add(sink);
      ready = Promise.all(unique.map((s) => this.attach(s, sink))).then(() => undefined);
      ready.catch((err: unknown) => this.detach(sink, err));
      signal.addEventListener("abort", () => this.detach(sink), { once: true });
    }
    return Object.assign(queue, { ready }) as EventSubscription;
  }

  private attach(source: EventSource, sink: Sink): Promise<void> {
    let reg = this.regs.get(source);
    if (!reg) {
      reg = { source, callbackId: null, registering: null, sinks: new Set() };
      this.regs.set(source, reg);
    }
    reg.sinks.add(sink);
    if (reg.callbackId !== null) return Promise.resolve();
    return this.register(reg);
  }

  private register(reg: Registration): Promise<void> {
    if (reg.registering) return reg.registering;
    const spec = SOURCES[reg.source];
    const p = spec
      .register(this.remote)
      .then((id) => {
        if (reg.sinks.size === 0 || this.regs.get(reg.source) !== reg) {
          spec.deregister(this.remote, id).catch(() => {});
          return;
        }
        reg.callbackId = id;
        this.byCallback.set(`${spec.family}:${id}`, reg);
      })
      .finally(() => {
        reg.registering = null;
      });
    reg.registering = p;
    return p;
  }

  private detach(sink: Sink, error?: unknown): void {
    if (!this.sinks.delete(sink)) return;
    sink.queue.end(error);
    for (const source of sink.sources) {
      const reg = this.regs.get(source);
      if (!reg) continue;
      reg.sinks.delete(sink);
      if (reg.sinks.size > 0) continue;
      this.regs.delete(source);
      if (reg.callbackId !== null) {
        const spec = SOURCES[source];
        this.byCallback.delete(`${spec.family}:${reg.callbackId}`);
        if (this.conn.state === "ready") spec.deregister(this.remote, reg.callbackId).catch(() => {});
        reg.callbackId = null;
      }
    }
  }

  private onMessage(procedure: number, body: Buffer): void {
    const decoded = decodeEventMessage(procedure, body);
    if (!decoded) return;
    const reg = this.byCallback.get(`${decoded.family}:${decoded.callbackId}`);
    if (!reg) return;
    for (const sink of reg.sinks) sink.queue.push(decoded.event);
  }

  private onStateChange(change: StateChange): void {
    if (change.state === "disconnected" && change.previous === "ready") {
      for (const reg of this.regs.values()) reg.callbackId = null;
      this.byCallback.clear();
      const ev: HypervisorEvent = {
        kind: "connection",
        state: "lost",
        generation: change.generation,
        ...(change.error ? { error: change.error } : {}),
      };
      for (const sink of this.sinks) sink.queue.push(ev);
    } else if (change.state === "ready" && change.generation > 1) {
      const regs = [...this.regs.values()].filter((r) => r.sinks.size > 0);
      Promise.allSettled(regs.map((r) => this.register(r))).then((results) => {
        const failed = results.find((x): x is PromiseRejectedResult => x.status === "rejected");
        if (failed) {
          // a connection that dropped again is retried on the next `ready`
          if (isConnectionError(failed.reason) || isTimeout(failed.reason)) return;
          for (const sink of [...this.sinks]) this.detach(sink, failed.reason);
          return;
        }
        const ev: HypervisorEvent = { kind: "connection", state: "restored", generation: change.generation };
        for (const sink of this.sinks) sink.queue.push(ev);
      });
    } else if (change.state === "closed") {
      for (const sink of [...this.sinks]) this.detach(sink);
      this.regs.clear();
      this.byCallback.clear();
    }
  }
}
