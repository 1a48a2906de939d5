/**
 * Re-captures test/unit/xml/fixtures/ from the real libvirtd: defines the objects built
 * from test/unit/xml/specs.ts, dumps what libvirt stored, removes them again.
 * Runs only with VIRTFLEET_CAPTURE_XML_FIXTURES=1 (it writes into the source tree).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDomainXml, buildNetworkXml, buildPoolXml, buildVolumeXml } from "../../../kinds/index.js";
import * as S from "../../unit/xml/specs.js";
import { virsh, virshResult, withXmlFile } from "./virsh-xml.js";

const FIXTURES = join(import.meta.dirname, "../../unit/xml/fixtures");

describe.skipIf(process.env.VIRTFLEET_CAPTURE_XML_FIXTURES !== "1")("capture XML fixtures from libvirtd", () => {
  it("defines, dumps and removes the fixture objects", async () => {
    await mkdir(FIXTURES, { recursive: true });
    const save = (name: string, xml: string) => writeFile(join(FIXTURES, name), xml);
    const pool = S.dirPool();
    try {
      await withXmlFile(buildPoolXml(pool), (f) => virsh("pool-define", f));
      await virsh("pool-build", pool.name);
      await virsh("pool-start", pool.name);
      await save("pool-dir.xml", await virsh("pool-dumpxml", "--inactive", pool.name));
      const base = S.baseVolume();
      await withXmlFile(buildVolumeXml(base), (f) => virsh("vol-create", pool.name, f));
      await save("volume-base.xml", await virsh("vol-dumpxml", "--pool", pool.name, base.name));
      const over = S.overlayVolume();
      await withXmlFile(
        buildVolumeXml(over, { backingPath: `${S.FIXTURE_POOL_PATH}/base.qcow2`, backingFormat: "qcow2" }),
        (f) => virsh("vol-create", pool.name, f),
      );
      await save("volume-overlay.xml", await virsh("vol-dumpxml", "--pool", pool.name, over.name));
      const raw = S.rawVolume();
      await withXmlFile(buildVolumeXml(raw), (f) => virsh("vol-create", pool.name, f));
      await save("volume-raw.xml", await virsh("vol-dumpxml", "--pool", pool.name, raw.name));

      for (const [file, net] of [
        ["network-nat.xml", S.natNetwork()],
        ["network-isolated.xml", S.isolatedNetwork()],
        ["network-route.xml", S.routeNetwork()],
        ["network-bridge.xml", S.bridgeNetwork()],
      ] as const) {
        await withXmlFile(buildNetworkXml(net), (f) => virsh("net-define", f));
        await save(file, await virsh("net-dumpxml", "--inactive", net.name));
      }
      await withXmlFile(buildDomainXml(S.fullDomain(), S.fullDomainCtx()), (f) => virsh("define", f));
      await save("domain-full.xml", await virsh("dumpxml", "--inactive", S.fullDomain().name));
      await withXmlFile(buildDomainXml(S.tinyDomain(), S.tinyDomainCtx()), (f) => virsh("define", f));
      await save("domain-tiny.xml", await virsh("dumpxml", "--inactive", S.tinyDomain().name));
      // The running tiny guest's live XML, to show the parser copes with it too.
      await virsh("start", S.tinyDomain().name);
      await save("domain-tiny-live.xml", await virsh("dumpxml", S.tinyDomain().name));
      expect(true).toBe(true);
    } finally {
      for (const d of [S.fullDomain().name, S.tinyDomain().name]) {
        await virshResult("destroy", d);
        await virshResult("undefine", d);
      }
      for (const n of [S.natNetwork(), S.isolatedNetwork(), S.routeNetwork(), S.bridgeNetwork()])
        await virshResult("net-undefine", n.name);
      for (const v of ["over.qcow2", "base.qcow2", "data.raw"]) await virshResult("vol-delete", "--pool", pool.name, v);
      await virshResult("pool-destroy", pool.name);
      await virshResult("pool-delete", pool.name);
      await virshResult("pool-undefine", pool.name);
    }
  });
});
