import { checkNetworkSpec } from "./check.js";
import type { NetworkSpec } from "./spec.js";
import type { CheckResult, FieldChange, Resource } from "../../engine/index.js";
import { ListDomainsFlags } from "../../libvirt/index.js";
import { parseDomainXml } from "../domain/xml-parse.js";
import { buildNetworkXml } from "./xml-build.js";
import { diffNetwork } from "./xml-diff.js";
import { parseNetworkXml } from "./xml-parse.js";
import type { ParsedNetwork } from "./parsed.js";
import { checkGuestTaps } from "./taps.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import { assertValidSpec } from "../spec-guard.js";
import {
  ADOPT_CHANGE,
  claimExisting,
  forgetRemoved,
  recordCreated,
  recordCreating,
  reidentify,
} from "../ownership/index.js";
import { checkBridgeExists } from "./bridge-check.js";
import { checkHostNic } from "./nic-check.js";
import { checkNetworkClashes, type DeclaredNetwork } from "./clash-check.js";
import { liveUpdateOf } from "./live-update.js";

/**
 * A virtual network. Configuration is compared on the inactive XML and applied by
 * redefinition (UUID kept). Static DHCP hosts also change live (net-update). Other changes
 * to an active network take effect on restart: the resource restarts it only when no
 * running guest is attached (a restart cuts their connectivity); otherwise it reports a
 * pending restart. Once active, the running guests' taps on it must be on its bridge
 * (taps.ts: a restarted network's new bridge is empty); detached ones are drift
 * (`attachedInterfaces`) and re-attached.
 * An existing network virtfleet did not create is left alone (conflict) unless the policy
 * says `adopt: true` (kinds/ownership).
 */
export class NetworkResource implements Resource {
  readonly kind = "network";
  readonly name: string;
  readonly removing: boolean;
  /** The networks of the whole bundle (this one included), for the clash check; set by the resource factory. */
  declaredNetworks: readonly DeclaredNetwork[] = [];

  constructor(
    readonly spec: NetworkSpec,
    readonly policy: string,
    readonly dependsOn: string[],
    private readonly ctx: ResourceContext,
  ) {
    assertValidSpec("network", spec, spec.name, checkNetworkSpec);
    this.name = spec.name;
    this.removing = spec.state === "absent";
  }

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const { hv } = this.ctx;
    const ref = await orNull(hv.network(this.spec.name));
    if (this.removing) {
      if (!ref) return { changes: [] };
      const active = await hv.networkIsActive(ref);
      if (apply) {
        if (active) await hv.destroyNetwork(ref);
        await hv.undefineNetwork(ref);
        forgetRemoved(this.ctx.ownership, "network", this.name);
      }
      return { changes: [{ field: "state", from: active ? "active" : "inactive", to: "absent", disruption: "live" }] };
    }

    const host = this.ctx.hostName === undefined ? "this host" : `host ${this.ctx.hostName}`;
    await checkBridgeExists(this.spec, undefined, host);
    await checkHostNic(this.spec, undefined, host);
    await checkNetworkClashes(this.spec, this.declaredNetworks, hv, host);
    const changes: FieldChange[] = [];
    if (!ref) {
      changes.push({ field: "state", from: "absent", to: this.spec.state, disruption: "live" });
      if (this.spec.autostart) changes.push({ field: "autostart", from: false, to: true, disruption: "live" });
      if (!apply) return { changes };
      recordCreating(this.ctx.ownership, { kind: "network", name: this.name, policy: this.policy });
      const created = await hv.defineNetwork(buildNetworkXml(this.spec));
      recordCreated(this.ctx.ownership, {
        kind: "network",
        name: this.name,
        identity: created.uuid,
        policy: this.policy,
      });
      if (this.spec.autostart) await hv.setNetworkAutostart(created, true);
      if (this.spec.state === "active") await hv.startNetwork(created);
      return { changes };
    }

    const claim = await claimExisting(
      this.ctx.ownership,
      {
        kind: "network",
        name: this.name,
        identity: ref.uuid,
        policy: this.policy,
        adopt: this.spec.adopt === true,
        definition: () => hv.networkXml(ref, { inactive: true }),
      },
      apply,
    );
    if (claim.adopting) changes.push(ADOPT_CHANGE);
    const actual = parseNetworkXml(await hv.networkXml(ref, { inactive: true }));
    const wasActive = await hv.networkIsActive(ref);
    const config = diffNetwork(this.spec, actual, wasActive);
    changes.push(...config);
    const notes: string[] = [];
    let pendingRestart = false;
    let active = wasActive;

    if (apply && config.length > 0) {
      checkAborted(signal);
      const recreate = config.some((c) => c.disruption === "recreate");
      if (recreate) {
        if (active) await hv.destroyNetwork(ref);
        await hv.undefineNetwork(ref);
        active = false;
      }
      const defined = await hv.defineNetwork(
        buildNetworkXml(this.spec, { uuid: recreate ? undefined : (actual.uuid ?? undefined) }),
      );
      if (recreate) reidentify(this.ctx.ownership, "network", this.name, defined.uuid);
      if (active) {
        for (const c of config.filter((x) => x.disruption === "live")) {
          for (const u of liveUpdateOf(this.spec.name, c, actual)) await hv.updateNetwork(this.spec.name, u);
        }
        if (config.some((c) => c.disruption === "restart")) {
          const users = await this.runningGuestsOn();
          if (users.length === 0) {
            await hv.destroyNetwork(defined);
            await hv.startNetwork(defined);
          } else {
            pendingRestart = true;
            notes.push(
              `network ${this.spec.name} keeps its old configuration until restarted; not restarted because running guests use it: ${users.join(", ")}`,
            );
          }
        }
      }
    } else if (wasActive && config.length === 0) {
      const live = await this.liveDrift();
      for (const c of live.hosts) {
        changes.push({ ...c, field: `running.${c.field}` });
        if (apply)
          for (const u of liveUpdateOf(this.spec.name, c, live.parsed)) await hv.updateNetwork(this.spec.name, u);
      }
      pendingRestart = live.restart;
      if (pendingRestart)
        notes.push(`the running network ${this.spec.name} still has an older configuration (restart pending)`);
    }

    const autostart = await hv.networkAutostart(this.spec.name);
    if (autostart !== this.spec.autostart) {
      changes.push({ field: "autostart", from: autostart, to: this.spec.autostart, disruption: "live" });
      if (apply) await hv.setNetworkAutostart(this.spec.name, this.spec.autostart);
    }
    const wantActive = this.spec.state === "active";
    if (wasActive !== wantActive)
      changes.push({
        field: "state",
        from: wasActive ? "active" : "inactive",
        to: this.spec.state,
        disruption: "live",
      });
    if (apply && active !== wantActive) {
      if (wantActive) await hv.startNetwork(this.spec.name);
      else await hv.destroyNetwork(this.spec.name);
    }
    if (wantActive && hasGuestTaps(this.spec)) {
      const taps = await checkGuestTaps(hv, this.spec.name, { apply, definedBridge: actual.bridge });
      if (taps) changes.push(taps);
    }
    return { changes, pendingRestart, notes };
  }

  /** Names of running guests with an interface on this network. */
  private async runningGuestsOn(): Promise<string[]> {
    const { hv } = this.ctx;
    const running = await hv.domains(ListDomainsFlags.ACTIVE);
    const users: string[] = [];
    for (const d of running) {
      const parsed = parseDomainXml(await hv.domainXml(d));
      if (parsed.interfaces.some((i) => i.type === "network" && i.network === this.spec.name)) users.push(d.name);
    }
    return users;
  }

  /**
   * The running network against the spec when its definition is in sync: static DHCP and
   * DNS hosts changed on the running network only (`net-update --live`, which raises no
   * event and leaves the definition alone) are drift repaired live (`hosts`, reported as
   * `running.FIELD`); any other difference waits for a restart (`restart`).
   */
  private async liveDrift(): Promise<{ hosts: FieldChange[]; restart: boolean; parsed: ParsedNetwork }> {
    const parsed = parseNetworkXml(await this.ctx.hv.networkXml(this.spec.name));
    const diff = diffNetwork(this.spec, parsed, true);
    const hosts = diff.filter((c) => c.disruption === "live");
    return { hosts, restart: diff.length > hosts.length, parsed };
  }
}

/** Guests of nat/route/open/isolated networks and of plain host bridges sit on a Linux bridge as taps (taps.ts); macvtap, hostdev and Open vSwitch ports do not. */
function hasGuestTaps(spec: NetworkSpec): boolean {
  if (spec.mode === "macvtap" || spec.mode === "hostdev") return false;
  return !(spec.mode === "bridge" && (spec.virtualport ?? null) !== null);
}
