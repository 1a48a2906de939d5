import { describe, expect, it } from "vitest";
import { silentLogger, type DomainSpec, type ResolvedPolicy, type VolumeSpec } from "../../../common/index.js";
import { buildGraph } from "../../../engine/index.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { CloudInitSeedResource, DomainResource, resourcesFromPolicies } from "../../../kinds/index.js";
import { DomainWithSeedCleanup } from "../../../kinds/cloud-init-seed/index.js";
import { resolvedPolicy, volumeSpec } from "../../harness/specs.js";
import { domainWithCloudInit } from "./specs.js";

/** Construction never talks to libvirt, so no hypervisor is needed here. */
const options = {
  ctx: { hv: {} as Hypervisor, log: silentLogger(), shutdownTimeoutMs: 1000 },
  domainEnv: { domainType: "kvm" as const },
};

function policy(
  domains: DomainSpec[],
  volumes: VolumeSpec[] = [],
  poolState: "active" | "absent" = "active",
): ResolvedPolicy {
  return resolvedPolicy(
    "web",
    {
      pools: [{ name: "p1", type: "dir", path: "/var/lib/libvirt/p1", autostart: true, state: poolState }],
      volumes,
      domains,
    },
    { source: { file: "web.yaml", line: 1, col: 1 } },
  );
}

/** A declared volume named as g1's seed would be. */
const seedNamedVolume = (): VolumeSpec => volumeSpec("g1-cidata.iso", "p1", { format: "raw" });

describe("cloud-init wiring", () => {
  it("adds the seed volume before the domain, and the domain gets it as its last cdrom", () => {
    const d = domainWithCloudInit("g1");
    const rs = resourcesFromPolicies([policy([d])], options);
    const seed = rs.find((r) => r instanceof CloudInitSeedResource)!;
    const dom = rs.find((r) => r instanceof DomainResource) as DomainResource;
    expect(seed.name).toBe("p1/g1-cidata.iso");
    expect(seed.kind).toBe("volume");
    expect(seed.dependsOn).toEqual(["pool/p1"]);
    expect(seed.policy).toBe("web");
    expect(dom.dependsOn).toContain("volume/p1/g1-cidata.iso");
    expect(dom.spec.cdroms).toEqual([{ path: "/srv/iso/tools.iso" }, { pool: "p1", volume: "g1-cidata.iso" }]);
    expect(dom.spec.cloudInit).toEqual(d.cloudInit);
    const ids = buildGraph(rs).ids;
    expect(ids.indexOf("pool/p1")).toBeLessThan(ids.indexOf("volume/p1/g1-cidata.iso"));
    expect(ids.indexOf("volume/p1/g1-cidata.iso")).toBeLessThan(ids.indexOf("domain/g1"));
  });

  it("a domain without cloudInit gets no seed and keeps its cdroms", () => {
    const rs = resourcesFromPolicies([policy([domainWithCloudInit("g1", { cloudInit: null })])], options);
    expect(rs.map((r) => `${r.kind}/${r.name}`)).toEqual(["pool/p1", "domain/g1"]);
    expect((rs[1] as DomainResource).spec.cdroms).toEqual([{ path: "/srv/iso/tools.iso" }]);
  });

  it("removing the domain removes its seed after it, and lets its pool go too", () => {
    const d = domainWithCloudInit("g1", { state: "absent" });
    const vol = volumeSpec("g1.qcow2", "p1", { state: "absent" });
    const rs = resourcesFromPolicies([policy([d], [vol], "absent")], options);
    const seed = rs.find((r) => r instanceof CloudInitSeedResource)!;
    expect(seed.removing).toBe(true);
    const ids = buildGraph(rs).ids;
    expect(ids.indexOf("domain/g1")).toBeLessThan(ids.indexOf("volume/p1/g1-cidata.iso"));
    expect(ids.indexOf("volume/p1/g1-cidata.iso")).toBeLessThan(ids.indexOf("pool/p1"));
  });

  it("uses the first pool cdrom's pool when the domain has no disk; no pool at all is a validation error naming the domain", () => {
    const viaCdrom = domainWithCloudInit("g2", {
      disks: [],
      cdroms: [{ path: "/x.iso" }, { pool: "p1", volume: "os.iso" }],
    });
    expect(resourcesFromPolicies([policy([viaCdrom])], options).map((r) => r.name)).toContain("p1/g2-cidata.iso");
    const nowhere = domainWithCloudInit("g3", { disks: [], cdroms: [] });
    expect(() => resourcesFromPolicies([policy([nowhere])], options)).toThrow(
      /domain g3: cloudInit needs a storage pool for its seed ISO/,
    );
    expect(() => resourcesFromPolicies([policy([nowhere])], options)).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    // Removing such a domain needs no seed.
    expect(resourcesFromPolicies([policy([{ ...nowhere, state: "absent" }])], options).map((r) => r.name)).toEqual([
      "p1",
      "g3",
    ]);
  });

  it("refuses a declared volume with the seed's name", () => {
    const vol = seedNamedVolume();
    expect(() => resourcesFromPolicies([policy([domainWithCloudInit("g1")], [vol])], options)).toThrow(
      /its cloud-init seed p1\/g1-cidata.iso is also declared as a volume/,
    );
  });

  it("audit-mode policies check the seed without changing it", () => {
    const rs = resourcesFromPolicies([{ ...policy([domainWithCloudInit("g1")]), mode: "audit" }], options);
    expect(rs.every((r) => r.audit === true)).toBe(true);
  });

  it("a guest without cloudInit cleans up a seed left by an earlier revision, after its own change; with cloudInit it does not", () => {
    const without = resourcesFromPolicies([policy([domainWithCloudInit("g1", { cloudInit: null })])], options);
    expect(without.map((r) => `${r.kind}/${r.name}`)).toEqual(["pool/p1", "domain/g1"]);
    expect(without[1]).toBeInstanceOf(DomainWithSeedCleanup);
    const withCi = resourcesFromPolicies([policy([domainWithCloudInit("g1")])], options);
    expect(withCi.some((r) => r instanceof DomainWithSeedCleanup)).toBe(false);
  });

  it("no cleanup when the guest names the seed as its own cdrom, or a policy declares that volume", () => {
    const own = domainWithCloudInit("g1", { cloudInit: null, cdroms: [{ pool: "p1", volume: "g1-cidata.iso" }] });
    expect(resourcesFromPolicies([policy([own])], options).some((r) => r instanceof DomainWithSeedCleanup)).toBe(false);
    const vol = seedNamedVolume();
    const rs = resourcesFromPolicies([policy([domainWithCloudInit("g1", { cloudInit: null })], [vol])], options);
    expect(rs.some((r) => r instanceof DomainWithSeedCleanup)).toBe(false);
  });
});
