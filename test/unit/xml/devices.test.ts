import { describe, expect, it } from "vitest";
import {
  buildCdromDeviceXml,
  buildDiskDeviceXml,
  buildDomainXml,
  buildInterfaceDeviceXml,
  diskDetachXml,
  interfaceDetachXml,
  parseDomainXml,
} from "../../../kinds/index.js";
import { fullDomain } from "./specs.js";

const wrap = (device: string) =>
  `<domain><name>x</name><memory>65536</memory><vcpu>1</vcpu><devices>${device}</devices></domain>`;
const diskPaths = new Map([
  ["vft-fixture-pool/over.qcow2", { path: "/p/over.qcow2", format: "qcow2" as const }],
  ["vft-fixture-pool/data.raw", { path: "/p/data.raw", format: "raw" as const }],
  ["vft-fixture-pool/base.qcow2", { path: "/p/base.qcow2", format: "qcow2" as const }],
]);

describe("hotplug device XML", () => {
  it("an attached NIC or disk equals the one the whole-domain definition holds", () => {
    const spec = fullDomain();
    const whole = parseDomainXml(buildDomainXml(spec, { domainType: "kvm", diskPaths, specHash: "h" }));
    const nic = parseDomainXml(wrap(buildInterfaceDeviceXml(spec, 1))).interfaces[0];
    expect(nic).toEqual(whole.interfaces[1]);
    const disk = parseDomainXml(wrap(buildDiskDeviceXml(spec, 2, { diskPaths }))).disks[0];
    expect(disk).toEqual(whole.disks.find((d) => d.volume === "base.qcow2"));
    expect(disk?.target).toBe("vdb");
    const cd = buildCdromDeviceXml(spec, 1, { cdromPaths: new Map() });
    expect(cd).toContain(`device="cdrom"`);
    expect(cd).toContain(`volume="seed.iso"`);
  });

  it("detach XML names the device only, and refuses anything that is not a MAC or a target", () => {
    const nic = parseDomainXml(wrap(interfaceDetachXml({ mac: "52:54:00:AA:00:01", network: "net" }))).interfaces;
    expect(nic).toMatchObject([{ mac: "52:54:00:aa:00:01", type: "network", network: "net", model: null }]);
    expect(parseDomainXml(wrap(diskDetachXml("vdb"))).disks.map((d) => d.target)).toEqual(["vdb"]);
    expect(() => interfaceDetachXml({ mac: `x"/><evil/>`, network: null })).toThrow(/not a MAC/);
    expect(() => diskDetachXml("../vda")).toThrow(/not a device name/);
    expect(() => buildInterfaceDeviceXml(fullDomain(), 9)).toThrow(/no interfaces\[9\]/);
  });
});
