import { checkDomainSpec } from "./check.js";
import { canonicalHash } from "../../common/canonical-json.js";
import { VirtfleetError } from "../../common/errors.js";
import type { DomainSpec } from "./spec.js";
import type { CheckResult, FieldChange, Resource } from "../../engine/index.js";
import { ErrorCode, isOperationInvalid, libvirtCodeOf, type DomainRef } from "../../libvirt/index.js";
import {
  buildMetadataElementXml,
  parseVirtfleetMetadataElement,
  VIRTFLEET_PREFIX,
  VIRTFLEET_XMLNS,
} from "../libvirt-xml/metadata.js";
import { parseVolumeXml } from "../volume/xml-parse.js";
import type { DomainBuildContext, PoolVolumeKey, VolumeRef } from "./parsed.js";
import { hostname } from "node:os";
import { buildDomainXml } from "./xml-build.js";
import { buildCdromDeviceXml, buildDiskDeviceXml, diskDetachXml } from "./disks/index.js";
import { buildInterfaceDeviceXml, interfaceDetachXml } from "./nics/index.js";
import { diffDomain } from "./xml-diff.js";
import { parseDomainXml } from "./xml-parse.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import { checkDomainReferences } from "./references.js";
import { checkFirmwareOnHost } from "./firmware/host-check.js";
import {
  busyOperation,
  DomainBusyError,
  planStateChange,
  policyState,
  waitUntilSettled,
  type DomainStateStep,
  type ObservedDomainState,
  type PolicyDomainState,
  type SettleOptions,
} from "./state.js";
import { assertValidSpec } from "../spec-guard.js";
import { refuseRecreate } from "./refusals.js";
import { ADOPT_CHANGE, claimExisting, forgetRemoved, recordCreated } from "../ownership/index.js";
import { applyCpuMemoryLive } from "./cpu-memory/live.js";
import { checkCpuMemoryOnHost } from "./cpu-memory/host-check.js";
import type { HostHugepages } from "../host/hugepages/sizes.js";
import { applyDevicesLive, diffGraphicsPassword, readGraphicsPassword } from "./devices/live.js";
import { checkDevicesOnHost } from "./devices/host-checks.js";
import { applyMetadataLive } from "./metadata/live.js";

/**
 * Hash of what the domain's XML is built from: the spec without autostart, state, adopt and
 * restartOnChange (not XML), title, description and labels (compared on their own and
 * changed live) and the graphics password file's path (its content is compared on its own), so
 * a running guest started from this spec carries it.
 */
export function domainSpecHash(spec: DomainSpec): string {
  const {
    autostart: _a,
    state: _s,
    restartOnChange: _r,
    description: _d,
    title: _t,
    labels: _l,
    adopt: _o,
    ...xmlRelevant
  } = spec;
  // The password file's path is not what the guest runs: its content is compared on its own
  // (devices/live.ts) and changed live, so moving the file is no restart.
  if (typeof xmlRelevant.graphics === "object" && xmlRelevant.graphics.passwordFile !== undefined) {
    const { passwordFile: _p, ...console } = xmlRelevant.graphics;
    return canonicalHash({ ...xmlRelevant, graphics: console });
  }
  return canonicalHash(xmlRelevant);
}

export interface DomainHostEnv {
  domainType: "kvm" | "qemu";
  /** CPU features this host's KVM cannot give a guest (nested hosts); never compared. */
  cpuDisabledFeatures?: string[];
}

/**
 * A guest. Configuration is compared on the inactive XML and applied by redefinition with
 * the guest's UUID; runtime state on the live state. On a running guest, NICs and virtio
 * disks are attached and detached live and a cdrom's medium is swapped live; changes that a
 * running guest only sees after a restart are applied to the definition and reported as
 * pending restart, and the guest is restarted (gracefully, forced after the shutdown
 * timeout) only when the spec sets `restartOnChange`. A hash of the desired spec is kept in the guest's metadata.
 * Removal forces the guest off and undefines it (with NVRAM); its volumes are separate
 * resources. A guest libvirt is in the middle of an operation on (paused while starting up,
 * being saved, snapshotted, migrated, ...; see `busyOperation`) is waited for before anything
 * is changed, and left alone with a transient `DomainBusyError` if it stays busy.
 * A guest without virtfleet's metadata (defined by hand or another tool) is left alone
 * (conflict) unless the policy says `adopt: true`; adopting redefines it for its next boot
 * and never touches the running guest's devices (pending restart); the replaced definition
 * is kept in the agent's state for a rollback (kinds/ownership).
 */
export class DomainResource implements Resource {
  readonly kind = "domain";
  readonly name: string;
  readonly removing: boolean;
  private readonly specHash: string;
  /**
   * The engine ids of every resource in this guest's bundle (set by kinds/build-resources.ts):
   * when set, a present guest's networks and volumes are checked first (references.ts).
   */
  declaredIds: ReadonlySet<string> | undefined;
  /** The hugepages the bundle's enforced host resource reserves first (set by kinds/build-resources.ts). */
  hostHugepages: HostHugepages | undefined;

  constructor(
    readonly spec: DomainSpec,
    readonly policy: string,
    readonly dependsOn: string[],
    private readonly ctx: ResourceContext,
    private readonly env: DomainHostEnv,
    /** Bounds of the wait for a guest libvirt is busy with (defaults DOMAIN_BUSY_WAIT_MS, DOMAIN_BUSY_POLL_MS). */
    private readonly busyWait: Pick<SettleOptions, "timeoutMs" | "intervalMs"> = {},
  ) {
    assertValidSpec("domain", spec, spec.name, checkDomainSpec);
    this.name = spec.name;
    this.removing = spec.state === "absent";
    this.specHash = domainSpecHash(spec);
  }

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const { hv } = this.ctx;
    const ref = await orNull(hv.domain(this.spec.name));
    if (this.removing) {
      if (!ref) return { changes: [] };
      const now = await this.observe(ref, apply, signal);
      const state = policyState(now.state, now.reason);
      if (apply) {
        if (state !== "shutoff") await hv.destroyDomain(ref);
        await hv.undefineDomain(ref);
        forgetRemoved(this.ctx.ownership, "domain", this.name);
      }
      return { changes: [{ field: "state", from: state, to: "absent", disruption: "live" }] };
    }

    if (this.declaredIds) await checkDomainReferences(this.spec, this.declaredIds, hv);
    await checkFirmwareOnHost(this.spec, this.ctx.hostName === undefined ? undefined : `host ${this.ctx.hostName}`);
    await checkCpuMemoryOnHost(this.spec, hv, ref, apply, {
      hostName: this.ctx.hostName,
      reserved: this.hostHugepages,
    });
    const host = this.ctx.hostName ?? hostname();
    await checkDevicesOnHost(this.spec, hv, host);
    // Read in dry-run too: an unusable password file fails the plan, naming host and path.
    const password = await readGraphicsPassword(this.spec, host);
    const want = this.spec.state as PolicyDomainState;
    if (!ref) {
      const changes: FieldChange[] = [{ field: "state", from: "absent", to: want, disruption: "live" }];
      if (this.spec.autostart) changes.push({ field: "autostart", from: false, to: true, disruption: "live" });
      if (!apply) return { changes };
      const created = await hv.defineDomain(
        await this.desiredXml(undefined, undefined, undefined, this.ctx.ownership?.revisionOf(this.policy), {
          graphicsPassword: password ?? undefined,
        }),
      );
      recordCreated(this.ctx.ownership, {
        kind: "domain",
        name: this.name,
        identity: created.uuid,
        policy: this.policy,
      });
      if (this.spec.autostart) await hv.setDomainAutostart(created, true);
      await this.converge(created, { state: "shutoff", reason: 0 }, want, signal);
      return { changes };
    }

    const changes: FieldChange[] = [];
    const notes: string[] = [];
    const inactiveXml = await hv.domainXml(ref, { inactive: true });
    const inactive = parseDomainXml(inactiveXml);
    const { adopting } = await claimExisting(
      this.ctx.ownership,
      {
        kind: "domain",
        name: this.name,
        identity: ref.uuid,
        policy: this.policy,
        adopt: this.spec.adopt === true,
        marked: inactive.specHash !== null,
        definition: async () => inactiveXml,
      },
      apply,
    );
    if (adopting) changes.push(ADOPT_CHANGE);
    const createdBy = adopting ? this.ctx.ownership?.revisionOf(this.policy) : inactive.createdBy;
    // In a dry-run the volumes may not exist yet (they would be created first).
    const diskPaths = await this.resolveDisks().catch((err: unknown) => {
      if (apply) throw err;
      return undefined;
    });
    const observed = await this.observe(ref, apply, signal);
    const stateNow = policyState(observed.state, observed.reason);
    const running = stateNow !== "shutoff";
    const busy = busyOperation(observed);
    if (busy !== null)
      notes.push(
        `libvirt is in the middle of an operation on the guest (paused: ${busy}); applying waits for it to finish`,
      );
    const config = diffDomain(this.spec, inactive, running, {
      domainType: this.env.domainType,
      specHash: this.specHash,
      diskPaths,
    });
    config.push(...(await diffGraphicsPassword(hv, ref, this.spec, password, running, config)));
    // Refused (blocked) in dry-run and apply alike; the report carries the changes asked for.
    refuseRecreate(this.name, inactive, config);
    // The recorded spec hash is bookkeeping: shown only when nothing else explains it (e.g.
    // cloud-init content changed: the guest reads its seed at boot, so a restart is due).
    const visible = (config.length > 1 ? config.filter((c) => c.field !== "metadata.specHash") : config).map((c) =>
      c.field === "metadata.specHash" && running ? { ...c, disruption: "restart" as const } : c,
    );
    changes.push(...visible);
    const restartNeeded = visible.filter((c) => c.disruption === "restart").map((c) => c.field);
    // Adopting never changes the running guest's devices: the new definition waits for its next boot.
    const hotplug =
      running && !adopting ? visible.filter((c) => c.disruption === "live" && c.field !== "metadata.specHash") : [];
    if (adopting && running) {
      restartNeeded.push(...visible.filter((c) => c.disruption === "live").map((c) => c.field));
      notes.push("adopted: the new definition applies from the guest's next boot; its running devices are kept");
    }
    if (apply && config.length > 0) {
      checkAborted(signal);
      await hv.defineDomain(
        await this.desiredXml(inactive.uuid ?? undefined, diskPaths, inactive.description, createdBy, {
          keepTitle: inactive.title,
          graphicsPassword: password ?? undefined,
        }),
      );
    }

    // The running guest's metadata records the spec it runs: a different hash means its
    // configuration is older than the definition (pending restart).
    let pendingRestart = false;
    let state: ObservedDomainState = observed;
    if (running) {
      const liveHash =
        parseVirtfleetMetadataElement(await hv.domainMetadata(ref, { type: "element", uri: VIRTFLEET_XMLNS }))
          ?.specHash ?? null;
      let stale: string[] = config.length > 0 ? restartNeeded : liveHash !== this.specHash ? ["configuration"] : [];
      if (apply && hotplug.length > 0) {
        const unfinished = await this.hotplug(ref, hotplug, diskPaths!, password);
        for (const u of unfinished)
          notes.push(
            /^(interfaces|disks)\[/.test(u)
              ? `${u}: detach requested; it completes when the guest OS releases the device, or at the next restart`
              : `${u}: not changed on the running guest (hot-plug refused, or the guest OS has not released the device); it takes effect at the next restart`,
          );
        stale = [...stale, ...unfinished];
      }
      if (apply && config.length > 0) {
        // Record what the running guest now has: the new spec when nothing waits for a
        // restart; otherwise a marker that keeps it stale even if the spec is unchanged
        // (drift repaired in the definition only).
        await hv.setDomainMetadata(ref, {
          type: "element",
          value: buildMetadataElementXml(
            stale.length === 0 ? this.specHash : `stale:${this.specHash}`,
            this.policy,
            createdBy,
            this.spec.labels,
          ),
          key: VIRTFLEET_PREFIX,
          uri: VIRTFLEET_XMLNS,
          live: true,
          config: false,
        });
      }
      if (stale.length > 0) {
        const what = stale.join(", ");
        if (this.spec.restartOnChange && want === "running" && !adopting) {
          if (apply) {
            await this.shutdown(ref, signal);
            state = { state: "shutoff", reason: 0 };
          }
          notes.push(`${apply ? "restarted" : "restart needed"} to apply the new ${what} (restartOnChange)`);
          if (config.length === 0)
            changes.push({ field: "restart", from: "pending", to: "restarted", disruption: "restart" });
        } else {
          pendingRestart = true;
          notes.push(
            `pending restart: the running guest keeps its old ${what} until it restarts (restartOnChange is false)`,
          );
        }
      }
    }

    const autostart = await hv.domainAutostart(ref);
    if (autostart !== this.spec.autostart) {
      changes.push({ field: "autostart", from: autostart, to: this.spec.autostart, disruption: "live" });
      if (apply) await hv.setDomainAutostart(ref, this.spec.autostart);
    }
    if (stateNow !== want) changes.push({ field: "state", from: stateNow, to: want, disruption: "live" });
    if (apply) await this.converge(ref, state, want, signal);
    return { changes, pendingRestart, notes };
  }

  /**
   * Applies live-class changes to the running guest (the definition already has them):
   * device hot-plug, cdrom media, the description, vCPUs and balloon memory (cpu-memory/live.ts). Returns the fields whose detach libvirt accepted but the guest has not completed.
   */
  private async hotplug(
    ref: DomainRef,
    changes: FieldChange[],
    diskPaths: Map<PoolVolumeKey, VolumeRef>,
    password: string | null,
  ): Promise<string[]> {
    const { hv } = this.ctx;
    await applyMetadataLive(hv, ref, this.spec, changes);
    const devices = await applyDevicesLive(hv, ref, this.spec, changes, password);
    const live = { live: true, config: false };
    const detached: { field: string; mac?: string; target?: string }[] = [];
    for (const c of changes) {
      if (await applyCpuMemoryLive(hv, ref, this.spec, c)) continue;
      if (c.field === "description") {
        await hv.setDomainMetadata(ref, { type: "description", value: this.spec.description || null, ...live });
        continue;
      }
      const m = /^(interfaces|disks|cdroms)\[([^\]]+)\]$/.exec(c.field);
      if (!m) continue;
      const [, list, key] = m;
      const index = /^\d+$/.test(key!) ? Number(key) : null;
      if (list === "interfaces" && index !== null)
        await hv.attachDevice(ref, buildInterfaceDeviceXml(this.spec, index), live);
      else if (list === "interfaces") {
        const from = c.from as { network: string | null; mac: string };
        await hv.detachDevice(ref, interfaceDetachXml(from.mac, from.network), live);
        detached.push({ field: c.field, mac: from.mac });
      } else if (list === "disks" && index !== null)
        await hv.attachDevice(ref, buildDiskDeviceXml(this.spec, index, { diskPaths }), live);
      else if (list === "disks") {
        await hv.detachDevice(ref, diskDetachXml(key!), live);
        detached.push({ field: c.field, target: key! });
      } else if (list === "cdroms" && index !== null) {
        await hv.updateDevice(
          ref,
          buildCdromDeviceXml(this.spec, index, { cdromPaths: await this.resolveCdroms() }),
          live,
        );
      }
    }
    if (detached.length === 0) return devices;
    const now = parseDomainXml(await hv.domainXml(ref));
    return [
      ...devices,
      ...detached
        .filter((d) =>
          d.mac ? now.interfaces.some((i) => i.mac === d.mac) : now.disks.some((x) => x.target === d.target),
        )
        .map((d) => d.field),
    ];
  }

  /**
   * The guest's state; when applying, a guest libvirt is busy with is waited for first (so a
   * retried start finds the original start finished instead of resuming a starting guest).
   */
  private async observe(ref: DomainRef, apply: boolean, signal: AbortSignal): Promise<ObservedDomainState> {
    const now = await this.ctx.hv.domainState(ref);
    return apply && busyOperation(now) !== null ? this.settle(ref, now, signal) : now;
  }

  /** Waits (bounded) until libvirt has finished its operation on the guest; DomainBusyError if it has not. */
  private async settle(
    ref: DomainRef,
    first: ObservedDomainState | undefined,
    signal: AbortSignal,
  ): Promise<ObservedDomainState> {
    const { hv, log } = this.ctx;
    if (first && busyOperation(first) !== null)
      log.info(
        { domain: this.name, operation: busyOperation(first) },
        "libvirt is busy with the guest; waiting for it to finish",
      );
    return waitUntilSettled(this.name, () => hv.domainState(ref), first, { ...this.busyWait, signal });
  }

  /**
   * Drives the guest from `now` to `to` (see `planStateChange`). When libvirt refuses a start or
   * resume as invalid in the guest's state — another client, or the timed-out start this
   * attempt retries, got there first ("domain is already running") — the state is read again
   * and planned once more; a guest locked by another libvirt job is a transient DomainBusyError.
   */
  private async converge(
    ref: DomainRef,
    now: ObservedDomainState,
    to: PolicyDomainState,
    signal: AbortSignal,
  ): Promise<void> {
    for (let replanned = false; ; replanned = true) {
      let plan = planStateChange(now, to);
      if (plan.kind === "wait") {
        now = await this.settle(ref, now, signal);
        plan = planStateChange(now, to);
      }
      if (plan.kind === "wait") throw DomainBusyError.stillBusy(this.name, now, 0);
      if (plan.kind === "refuse") throw new VirtfleetError("DOMAIN_STATE", `domain ${this.name}: ${plan.why}`);
      try {
        for (const step of plan.steps) await this.step(ref, step, signal);
        return;
      } catch (err) {
        if (libvirtCodeOf(err) === ErrorCode.OPERATION_TIMEOUT) throw DomainBusyError.locked(this.name, err);
        if (replanned || !isOperationInvalid(err)) throw err;
        now = await this.ctx.hv.domainState(ref);
      }
    }
  }

  private async step(ref: DomainRef, step: DomainStateStep, signal: AbortSignal): Promise<void> {
    const { hv } = this.ctx;
    checkAborted(signal);
    if (step === "start") await hv.startDomain(ref);
    else if (step === "resume") await hv.resumeDomain(ref);
    else if (step === "suspend") await hv.suspendDomain(ref);
    else await this.shutdown(ref, signal);
  }

  /** ACPI shutdown, forced off when the guest is still up after the shutdown timeout. */
  private async shutdown(ref: DomainRef, signal: AbortSignal): Promise<void> {
    const { hv, shutdownTimeoutMs } = this.ctx;
    const now = await hv.domainState(ref);
    if (policyState(now.state, now.reason) === "paused") {
      await hv.destroyDomain(ref);
      return;
    }
    try {
      await hv.shutdownDomain(ref);
    } catch {
      // Guests without ACPI refuse; forced off below.
    }
    const deadline = Date.now() + shutdownTimeoutMs;
    while (Date.now() < deadline && !signal.aborted) {
      if (!(await hv.domainIsActive(ref))) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (await hv.domainIsActive(ref)) {
      this.ctx.log.info(
        { domain: this.name, timeoutMs: shutdownTimeoutMs },
        "guest did not shut down in time; forcing it off",
      );
      await hv.destroyDomain(ref);
    }
  }

  private async desiredXml(
    uuid: string | undefined,
    diskPaths?: Map<PoolVolumeKey, VolumeRef>,
    keepDescription?: string | null,
    createdBy?: string | null,
    extra: Pick<DomainBuildContext, "keepTitle" | "graphicsPassword"> = {},
  ): Promise<string> {
    return buildDomainXml(this.spec, {
      ...extra,
      keepDescription,
      createdBy,
      domainType: this.env.domainType,
      cpuDisabledFeatures: this.env.cpuDisabledFeatures,
      diskPaths: diskPaths ?? (await this.resolveDisks()),
      cdromPaths: await this.resolveCdroms(),
      specHash: this.specHash,
      policy: this.policy,
      uuid,
    });
  }

  private async resolveDisks(): Promise<Map<PoolVolumeKey, VolumeRef>> {
    return this.resolve(this.spec.disks, true);
  }

  private async resolveCdroms(): Promise<Map<PoolVolumeKey, VolumeRef>> {
    return this.resolve(
      this.spec.cdroms.filter((c): c is { pool: string; volume: string } => "pool" in c),
      false,
    );
  }

  /** pool/volume → path and format; a missing disk volume is an error, a missing cdrom one too. */
  private async resolve(
    items: { pool: string; volume: string }[],
    disks: boolean,
  ): Promise<Map<PoolVolumeKey, VolumeRef>> {
    const out = new Map<PoolVolumeKey, VolumeRef>();
    for (const d of items) {
      const key = `${d.pool}/${d.volume}`;
      if (out.has(key)) continue;
      const vol = await orNull(this.ctx.hv.volume(d.pool, d.volume));
      if (!vol) {
        throw new VirtfleetError(
          "VOLUME_MISSING",
          `domain ${this.name}: ${disks ? "disk" : "cdrom"} volume ${key} does not exist (declare it in a policy)`,
        );
      }
      const parsed = parseVolumeXml(await this.ctx.hv.volumeXml(vol));
      const format = parsed.format === "qcow2" ? "qcow2" : "raw";
      out.set(key, { path: parsed.path ?? (await this.ctx.hv.volumePath(vol)), format });
    }
    return out;
  }
}
