import { VirtfleetError } from "../../common/errors.js";
import type { EventLog } from "../../common/event-log.js";
import type { ResolvedPolicy } from "../../kinds/resolved-policy.js";
import { buildGraph, type Resource, type ResourceId, type ResourceKind } from "../../engine/index.js";
import type { Hypervisor } from "../../libvirt/index.js";
import {
  declaredResources,
  type DomainHostEnv,
  type HostEnvironment,
  type HostNetworkRuntime,
  type OwnershipScope,
  type ProgressReporter,
  type ResourceContext,
  type ResourceFactoryOptions,
} from "../../kinds/index.js";

/** Turns resolved policies into resources (default: declaredResources; tests pass fakes). */
export type ResourceBuilder = (policies: readonly ResolvedPolicy[], o: ResourceFactoryOptions) => Resource[];

/** One resource of a bundle as events and selections name it. */
export interface ResourceTarget {
  id: ResourceId;
  kind: ResourceKind;
  name: string;
}

/**
 * A bundle turned into resources, once: what `runBundle` runs, as often as the caller likes.
 * Contract:
 * - built without libvirt: its resources read the hypervisor, the host's domain environment,
 *   the logger and the shutdown timeout only while `runBundle` runs them (late-bound; outside
 *   a run they throw NOT_BOUND), so a bundle is built once when it arrives, not again per run
 *   and not against a placeholder hypervisor;
 * - `targets` (and `ids`) list every resource in engine order;
 * - `resources` are as declared: audit mode is not applied here but by `runBundle`.
 */
export interface PreparedBundle {
  readonly policies: readonly ResolvedPolicy[];
  readonly resources: readonly Resource[];
  readonly targets: readonly ResourceTarget[];
  readonly ids: readonly ResourceId[];
}

export interface PrepareOptions {
  /** Default: declaredResources. */
  build?: ResourceBuilder;
  /** What the host resource reads and changes (default: the real machine). */
  hostEnv?: HostEnvironment;
}

/**
 * Builds the resources of `policies` (resolved for this host) once and checks their graph.
 * Throws ValidationError (or the builder's error) when a resource cannot be built, one is
 * declared twice, or the dependencies form a cycle.
 */
export function prepareBundle(policies: readonly ResolvedPolicy[], o: PrepareOptions = {}): PreparedBundle {
  const slot = new RunSlot();
  const build = o.build ?? declaredResources;
  const resources = build(policies, { ctx: slot.context, domainEnv: slot.domainEnv, hostEnv: o.hostEnv });
  const graph = buildGraph(resources);
  const targets = graph.ids.map((id) => {
    const r = graph.byId.get(id)!;
    return { id, kind: r.kind, name: r.name };
  });
  const prepared: PreparedBundle = {
    policies,
    resources,
    targets,
    ids: targets.map((t) => t.id),
  };
  SLOTS.set(prepared, slot);
  return prepared;
}

/** What a bundle's resources read during one run. */
export interface BoundHost {
  hv: Hypervisor;
  log: EventLog;
  domainEnv: DomainHostEnv;
  shutdownTimeoutMs: number;
  progress: ProgressReporter | undefined;
  importIdleTimeoutMs: number | undefined;
  ownership: OwnershipScope | undefined;
  /** Host networking's persistent-config folder and uplink guard (kinds/host/network/). */
  hostNetwork?: HostNetworkRuntime;
  /** This host's fleet name, for errors that name the host. */
  hostName?: string;
}

const SLOTS = new WeakMap<PreparedBundle, RunSlot>();

/**
 * Binds `host` to the bundle's resources for the length of `fn`. One run at a time per
 * prepared bundle: a second concurrent bind throws BUSY.
 */
export async function withBoundHost<T>(prepared: PreparedBundle, host: BoundHost, fn: () => Promise<T>): Promise<T> {
  const slot = SLOTS.get(prepared);
  if (!slot) throw new VirtfleetError("NOT_PREPARED", "runBundle takes a bundle from prepareBundle");
  slot.bind(host);
  try {
    return await fn();
  } finally {
    slot.release();
  }
}

/** The late-bound context the resources of one prepared bundle hold. */
class RunSlot {
  private host: BoundHost | null = null;

  bind(host: BoundHost): void {
    if (this.host)
      throw new VirtfleetError(
        "BUSY",
        "this bundle is already running; a prepared bundle runs one run at a time (the caller serialises its runs)",
      );
    this.host = host;
  }

  release(): void {
    this.host = null;
  }

  private get bound(): BoundHost {
    if (!this.host)
      throw new VirtfleetError(
        "NOT_BOUND",
        "a bundle's resources reach libvirt only inside runBundle (they were used outside a run)",
      );
    return this.host;
  }

  readonly context: ResourceContext = (() => {
    const slot = this;
    return {
      get hv() {
        return slot.bound.hv;
      },
      get log() {
        return slot.bound.log;
      },
      get shutdownTimeoutMs() {
        return slot.bound.shutdownTimeoutMs;
      },
      get progress() {
        return slot.bound.progress;
      },
      get importIdleTimeoutMs() {
        return slot.bound.importIdleTimeoutMs;
      },
      get ownership() {
        return slot.bound.ownership;
      },
      get hostNetwork() {
        return slot.bound.hostNetwork;
      },
      get hostName() {
        return slot.bound.hostName;
      },
    };
  })();

  readonly domainEnv: DomainHostEnv = (() => {
    const slot = this;
    return {
      get domainType() {
        return slot.bound.domainEnv.domainType;
      },
      get cpuDisabledFeatures() {
        return slot.bound.domainEnv.cpuDisabledFeatures;
      },
    };
  })();
}
