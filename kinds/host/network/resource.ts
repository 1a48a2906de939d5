import { VirtfleetError } from "../../../common/errors.js";
import type { FieldChange } from "../../../common/changes.js";
import type { CheckResult, Resource } from "../../../engine/index.js";
import { RefusedChangeError } from "../../../engine/refusal.js";
import { checkAborted } from "../../resource-context.js";
import { DEFAULT_CONFIRM_TIMEOUT_MS, commitConfirm, UplinkRestoredError, type UplinkGuard } from "./commit-confirm.js";
import { realIp, type IpCommand } from "./ip.js";
import { readLinks, type Link } from "./links.js";
import { ownershipOf } from "./ownership.js";
import {
  applyFileOps,
  desiredFiles,
  diffFiles,
  persistedOwnership,
  readOurFiles,
  type PersistTarget,
} from "./persist/files.js";
import { detectPersistTarget } from "./persist/detect.js";
import { planHostNetwork } from "./planner.js";
import type { HostNetworkSpec } from "./spec.js";
import type { HostNetworkRuntime } from "./runtime.js";
import { runSteps } from "./steps.js";
import { routeDevice, uplinkClosure } from "./uplink.js";

/** What the resource runs on the machine (tests: `realIp("vfhn-…")` for a namespace). */
export interface HostNetworkEnv {
  ip: IpCommand;
}

export const REAL_HOST_NETWORK: HostNetworkEnv = { ip: realIp() };

/**
 * The host's bridges, bonds and VLANs (resource `host/network`). Each check reads the host's
 * interfaces (`ip -json -details link show`) and virtfleet's persistent files, plans the
 * `ip` argv (planner.ts) and the files (persist/), and — applying — runs them. Contract:
 * - nothing changes when a declared interface exists and is not virtfleet's (conflict), a
 *   member or VLAN link is missing (failed), or the uplink would change without
 *   `allowUplinkChange: true` (blocked, naming the interface) — in dry-run and apply alike;
 * - an uplink change with `allowUplinkChange: true` is applied under commit-confirm
 *   (commit-confirm.ts); it is blocked when the run has no way to confirm (no `confirm`);
 * - persistent files are written after the runtime change succeeded (and was confirmed);
 *   a file edited or removed behind virtfleet's back is drift and rewritten;
 * - an uplink change that was undone is not tried again by this resource (the same bundle):
 *   the same plan is then `blocked` with when and why it was undone — a new policy revision
 *   (a new resource) or an agent restart tries again, rather than cutting the host off at
 *   every resync;
 * - a second check after an apply finds nothing to change;
 * - `owner: false` (audit-mode networking next to an enforced one): only the declared
 *   interfaces are checked; dropped interfaces and the persistent files are the enforced
 *   resource's.
 */
export class HostNetworkResource implements Resource {
  readonly kind = "host";
  readonly removing = false;
  /** The uplink plan commit-confirm undid (its argv), when, and why. */
  private undone: { plan: string; at: string; why: string } | null = null;

  constructor(
    readonly spec: HostNetworkSpec,
    readonly policy: string,
    readonly dependsOn: string[],
    private readonly runtime: () => HostNetworkRuntime | undefined,
    private readonly env: HostNetworkEnv = REAL_HOST_NETWORK,
    readonly name: "network" | "network-audit" = "network",
    private readonly owner = true,
  ) {}

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const runtime = this.runtime() ?? {};
    const { ip } = this.env;
    const target: PersistTarget = !this.owner
      ? { style: "none", dir: "" }
      : (runtime.persist ?? (await detectPersistTarget()));
    const links = await readLinks(ip);
    const files = await readOurFiles(target);
    const plan = planHostNetwork(this.spec, links, persistedOwnership(target, files), { drop: this.owner });
    if (plan.conflicts.length > 0)
      throw new RefusedChangeError(
        "conflict",
        `host networking: ${plan.conflicts.join("; ")}; nothing was changed (policy ${this.policy})`,
        plan.changes,
      );
    if (plan.missing.length > 0)
      throw new VirtfleetError(
        "HOST_NETWORK_MISSING",
        `host networking: ${plan.missing.join(", ")} ${plan.missing.length === 1 ? "does" : "do"} not exist on this host and ${plan.missing.length === 1 ? "is" : "are"} not declared; nothing was changed`,
      );
    const created = this.createdNames(links, persistedOwnership(target, files));
    const fileDiff = diffFiles(target, desiredFiles(target, this.spec, created), files);
    const changes: FieldChange[] = [...plan.changes, ...fileDiff.changes];
    const notes: string[] = [];
    if (target.style === "none" && this.owner)
      notes.push(
        "no systemd-networkd or ifupdown configuration on this host: host networking is converged at runtime only and is lost at reboot",
      );
    const touched = await this.touchedUplink(
      runtime.uplink,
      links,
      plan.steps.flatMap((s) => s.touches),
    );
    if (touched.length > 0) {
      if (!this.spec.allowUplinkChange)
        throw new RefusedChangeError(
          "blocked",
          `host networking would change ${touched.join(", ")}, which ${touched.length === 1 ? "carries" : "carry"} this host's controller connection; nothing was changed. Set allowUplinkChange: true in policy ${this.policy} to allow it (applied with commit-confirm: restored unless the controller is reachable again within ${Math.round((runtime.uplink?.timeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS) / 1000)} s)`,
          changes,
        );
      if (!runtime.uplink?.confirm)
        throw new RefusedChangeError(
          "blocked",
          `host networking would change ${touched.join(", ")}, which ${touched.length === 1 ? "carries" : "carry"} the uplink, and this run has no way to confirm the connection comes back (apply --local: give --confirm-timeout); nothing was changed`,
          changes,
        );
      const key = JSON.stringify(plan.steps.map((st) => st.argv));
      if (this.undone?.plan === key)
        throw new RefusedChangeError(
          "blocked",
          `host networking: this change of ${touched.join(", ")} was undone at ${this.undone.at} (${this.undone.why}); it is not tried again until the policy changes or the agent restarts`,
          changes,
        );
      notes.push(`changes the uplink (${touched.join(", ")}) under commit-confirm`);
    }
    // steps without changes: only re-marking an interface recreated from its file (not drift)
    if (!apply || (changes.length === 0 && plan.steps.length === 0)) return { changes, notes };
    checkAborted(signal);
    if (touched.length > 0) {
      try {
        await commitConfirm({
          ip,
          steps: plan.steps,
          confirm: runtime.uplink!.confirm!,
          timeoutMs: runtime.uplink!.timeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS,
          signal,
          touched,
        });
      } catch (err) {
        if (err instanceof UplinkRestoredError)
          this.undone = {
            plan: JSON.stringify(plan.steps.map((st) => st.argv)),
            at: new Date().toISOString(),
            why: err.message,
          };
        throw err;
      }
    } else await runSteps(ip, plan.steps);
    await applyFileOps(target, fileDiff.ops);
    return { changes, notes };
  }

  /** The declared names virtfleet creates or created (not adopted): those get persistent files. */
  private createdNames(links: ReadonlyMap<string, Link>, persisted: ReadonlyMap<string, "created">): Set<string> {
    const names = [...this.spec.bridges, ...this.spec.bonds, ...this.spec.vlans].map((x) => x.name);
    return new Set(
      names.filter((n) => {
        const l = links.get(n);
        return l === undefined || ownershipOf(l, persisted.get(n) ?? null) === "created";
      }),
    );
  }

  /** The uplink interfaces the plan's steps touch (empty when there is no uplink to protect). */
  private async touchedUplink(
    guard: UplinkGuard | undefined,
    links: ReadonlyMap<string, Link>,
    touches: readonly string[],
  ): Promise<string[]> {
    if (!guard || touches.length === 0) return [];
    const address = await guard.address();
    if (address === null) return [];
    const dev = await routeDevice(this.env.ip, address);
    if (dev === null) return [];
    const uplink = uplinkClosure(dev, links);
    return [...new Set(touches.filter((t) => uplink.has(t)))].sort();
  }
}
