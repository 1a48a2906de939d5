import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectDomainEnv } from "../../../kinds/index.js";
import { tempDir } from "../../harness/processes.js";

/** A fake host: /proc/cpuinfo with `flags`, and a "/dev/kvm" that opens or not. */
function host(flags: string, kvm: boolean) {
  const dir = tempDir("vft-domenv-");
  mkdirSync(join(dir.path, "proc"));
  writeFileSync(join(dir.path, "proc", "cpuinfo"), `processor\t: 0\nflags\t\t: fpu ${flags} sse2\n`);
  const kvmDevice = join(dir.path, "kvm");
  if (kvm) writeFileSync(kvmDevice, "");
  return {
    env: { procRoot: join(dir.path, "proc"), sysRoot: dir.path, kvmDevice, modprobe: async () => {} },
    done: () => dir.cleanup(),
  };
}

describe("detectDomainEnv: which domain type guests get", () => {
  const saved = process.env.VIRTFLEET_DOMAIN_TYPE;
  afterEach(() => {
    if (saved === undefined) delete process.env.VIRTFLEET_DOMAIN_TYPE;
    else process.env.VIRTFLEET_DOMAIN_TYPE = saved;
  });

  it("kvm with /dev/kvm and vmx or svm; on a nested host arch-capabilities is disabled", async () => {
    delete process.env.VIRTFLEET_DOMAIN_TYPE;
    for (const [flags, disabled] of [
      ["vmx", []],
      ["svm hypervisor", ["arch-capabilities"]],
    ] as const) {
      const h = host(flags, true);
      expect(await detectDomainEnv(h.env)).toEqual({ domainType: "kvm", cpuDisabledFeatures: disabled });
      h.done();
    }
  });

  it("qemu (TCG) when /dev/kvm opens but the CPU has no vmx/svm (kvm_pvm), or there is no /dev/kvm", async () => {
    delete process.env.VIRTFLEET_DOMAIN_TYPE;
    for (const [flags, kvm] of [
      ["hypervisor", true],
      ["vmx", false],
    ] as const) {
      const h = host(flags, kvm);
      expect(await detectDomainEnv(h.env)).toEqual({ domainType: "qemu", cpuDisabledFeatures: [] });
      h.done();
    }
  });

  it("VIRTFLEET_DOMAIN_TYPE overrides the detection", async () => {
    const h = host("vmx", true);
    process.env.VIRTFLEET_DOMAIN_TYPE = "qemu";
    expect((await detectDomainEnv(h.env)).domainType).toBe("qemu");
    h.done();
  });
});
