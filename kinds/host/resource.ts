import { checkHostSpec } from "./check.js";
import { formatBytes } from "../../common/units.js";
import { ValidationError, VirtfleetError } from "../../common/errors.js";
import type { HostPrereqSpec } from "./spec.js";
import type { CheckResult, FieldChange, Resource } from "../../engine/index.js";
import { parseMeminfo } from "../../common/proc-meminfo.js";
import {
  kvmUsable,
  moduleLoaded,
  normaliseSysctl,
  readProcFile,
  readSysctl,
  REAL_HOST,
  writeSysctl,
  type HostEnvironment,
} from "./environment.js";
import { assertValidSpec } from "../spec-guard.js";
import { checkApplyHugepages } from "./hugepages/apply.js";

const SYSCTL_KEY = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;
const MODULE_NAME = /^[a-z0-9_-]{1,64}$/i;

export class PreconditionError extends VirtfleetError {
  constructor(message: string) {
    super("PRECONDITION", message);
  }
}

/**
 * Host prerequisites. Virtualization and free memory are preconditions: not repairable, they
 * fail the host resource — and with it (every other resource depends on it) the whole run
 * before anything changes. Kernel modules are repaired with modprobe, sysctl values by
 * writing /proc/sys, hugepage counts by writing the kernel's pools (hugepages/apply.ts).
 * `requireVirtualization` passes when /dev/kvm can be opened read-write:
 * that is what KVM guests need, and on nested hosts the vmx/svm flag may be hidden while KVM works.
 */
export class HostResource implements Resource {
  readonly kind = "host";
  readonly dependsOn = [];
  readonly removing = false;
  /** This host's fleet name, for errors only the host can tell (set by kinds/build-resources.ts). */
  hostName: () => string | undefined = () => undefined;

  /**
   * `spec`: the merged prerequisites of every contributing policy (kinds/host/merge.ts);
   * `policy`: the one it is reported under. `name`: "host" (what every resource depends on),
   * or "audit" for the audit-mode policies' prerequisites next to enforced ones.
   */
  constructor(
    readonly spec: HostPrereqSpec,
    readonly policy: string,
    private readonly env: HostEnvironment = REAL_HOST,
    readonly name: "host" | "audit" = "host",
  ) {
    for (const k of Object.keys(spec.sysctl)) {
      if (!SYSCTL_KEY.test(k) || k.includes(".."))
        throw new ValidationError(`host.sysctl: "${k}" is not a sysctl key (e.g. net.ipv4.ip_forward)`);
    }
    for (const m of spec.kernelModules) {
      if (!MODULE_NAME.test(m)) throw new ValidationError(`host.kernelModules: "${m}" is not a module name`);
    }
    assertValidSpec("host", spec, "host", checkHostSpec);
  }

  async checkApply(_signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    await this.checkPreconditions();
    const changes: FieldChange[] = [];
    for (const m of this.spec.kernelModules) {
      if (await moduleLoaded(this.env, m)) continue;
      if (apply) {
        try {
          await this.env.modprobe(m);
        } catch (err) {
          throw new VirtfleetError(
            "HOST_MODULE",
            `kernel module ${m} is not loaded and modprobe failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
            { cause: err },
          );
        }
      }
      changes.push({ field: `kernelModules.${m}`, from: "not loaded", to: "loaded", disruption: "live" });
    }
    for (const [key, raw] of Object.entries(this.spec.sysctl).sort()) {
      const want = normaliseSysctl(raw);
      const have = await readSysctl(this.env, key);
      if (have === null)
        throw new VirtfleetError(
          "HOST_SYSCTL",
          `sysctl ${key} does not exist on this host (no ${key.replace(/\./g, "/")} under /proc/sys)`,
        );
      if (have === want) continue;
      if (apply) {
        try {
          await writeSysctl(this.env, key, want);
        } catch (err) {
          throw new VirtfleetError("HOST_SYSCTL", `cannot set sysctl ${key}=${want}: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      changes.push({ field: `sysctl.${key}`, from: have, to: want, disruption: "live" });
    }
    const host = this.hostName();
    changes.push(
      ...(await checkApplyHugepages(this.env.sysRoot, this.spec.hugepages, apply, host ? `host ${host}` : "this host")),
    );
    return { changes };
  }

  private async checkPreconditions(): Promise<void> {
    if (this.spec.requireVirtualization && !(await kvmUsable(this.env))) {
      throw new PreconditionError(
        `virtualization is required but ${this.env.kvmDevice} cannot be opened read-write: enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd`,
      );
    }
    if (this.spec.minFreeMemoryBytes !== null) {
      const available = parseMeminfo(await readProcFile(this.env, "meminfo")).get("MemAvailable");
      if (available === undefined) throw new PreconditionError("cannot read MemAvailable from /proc/meminfo");
      if (available < this.spec.minFreeMemoryBytes) {
        throw new PreconditionError(
          `only ${formatBytes(available)} of memory is available, the policy requires at least ${formatBytes(this.spec.minFreeMemoryBytes)} (minFreeMemory): nothing was changed on this host`,
        );
      }
    }
  }
}
