/**
 * XML metacharacters through the real libvirtd: a domain and a pool whose strings hold
 * `<>&'"` and `]]>` are built by the kinds' XML builders (kinds/<kind>/xml-build.ts), defined with virsh, dumped back (`--inactive`)
 * and parsed: every value reads back verbatim, no element was added, and the diff against
 * the spec is empty (no drift forever). Libvirt is the independent parser here (libxml2).
 * Every object is named with the test prefix and removed in afterAll.
 */
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDomainXml,
  buildPoolXml,
  diffDomain,
  diffPool,
  parseDomainXml,
  parsePoolXml,
  parseVirtfleetMetadata,
  parseVirtfleetMetadataElement,
  VIRTFLEET_XMLNS,
} from "../../../kinds/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import type { VolumeDiskSpec } from "../../../kinds/domain/disks/schema.js";
import type { PoolSpec } from "../../../kinds/pool/spec.js";
import { cleanupPrefix, HOST_DOMAIN_TYPE, testPrefix, virsh, virshResult } from "../../harness/virsh.js";
import { withXmlFile } from "../xml/virsh-xml.js";

const prefix = testPrefix();
const EVIL = `a<b>c&d'e"f]]>g`;
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(`/tmp/${prefix}`);
  await chmod(dir, 0o755);
});

afterAll(async () => {
  await cleanupPrefix(prefix);
  await rm(dir, { recursive: true, force: true });
  expect(await virsh("list", "--all", "--name")).not.toContain(prefix);
  expect(await virsh("pool-list", "--all", "--name")).not.toContain(prefix);
});

describe("metacharacters through libvirt", () => {
  it("a domain's name, disk and cdrom refs, cdrom path, network and metadata read back verbatim; the diff is empty", async () => {
    const spec: DomainSpec = {
      name: `${prefix}${EVIL}`,
      vcpus: 1,
      memoryBytes: 64 * 1024 * 1024,
      cpu: "host-model",
      machine: null,
      disks: [{ pool: `${prefix}p${EVIL}`, volume: `v${EVIL}.qcow2`, bus: "virtio" }],
      cdroms: [{ path: `${dir}/${EVIL}.iso` }, { pool: `${prefix}p${EVIL}`, volume: `seed${EVIL}.iso` }],
      interfaces: [{ network: `${prefix}n${EVIL}`, model: "virtio", mac: "52:54:00:12:34:56" }],
      cloudInit: null,
      graphics: "vnc",
      autostart: false,
      state: "shutoff",
      restartOnChange: false,
    };
    const disk0 = spec.disks[0] as VolumeDiskSpec;
    const xml = buildDomainXml(spec, {
      domainType: HOST_DOMAIN_TYPE,
      diskPaths: new Map([[`${disk0.pool}/${disk0.volume}`, { path: `${dir}/v.qcow2`, format: "qcow2" as const }]]),
      specHash: "c".repeat(64),
      policy: `pol${EVIL}`,
    });
    expect(xml).not.toMatch(/<b>|]]>/);
    await withXmlFile(xml, (file) => virsh("define", file));
    const back = await virsh("dumpxml", "--inactive", spec.name);
    const parsed = parseDomainXml(back);
    expect(parsed.name).toBe(spec.name);
    expect(parsed.disks[0]).toMatchObject({ pool: disk0.pool, volume: disk0.volume });
    expect(parsed.cdroms.map((c) => c.path ?? c.volume)).toEqual([`${dir}/${EVIL}.iso`, `seed${EVIL}.iso`]);
    expect(parsed.interfaces[0]!.network).toBe(spec.interfaces[0]!.network);
    expect(parseVirtfleetMetadata(back)).toEqual({ specHash: "c".repeat(64), policy: `pol${EVIL}` });
    // the element alone, as virDomainGetMetadata answers it (what the domain kind reads for a running guest)
    const element = await virsh("metadata", spec.name, "--uri", VIRTFLEET_XMLNS);
    expect(parseVirtfleetMetadataElement(element)).toEqual({ specHash: "c".repeat(64), policy: `pol${EVIL}` });
    expect(diffDomain(spec, parsed, false)).toEqual([]);
    expect((await virshResult("undefine", spec.name)).code).toBe(0);
  });

  it("a pool whose path holds metacharacters is created there and reads back verbatim", async () => {
    const path = `${dir}/${EVIL}`;
    await mkdir(path);
    const spec: PoolSpec = { name: `${prefix}pool`, type: "dir", path, autostart: false, state: "active" };
    await withXmlFile(buildPoolXml(spec), (file) => virsh("pool-define", file));
    await virsh("pool-start", spec.name);
    const parsed = parsePoolXml(await virsh("pool-dumpxml", "--inactive", spec.name));
    expect(parsed.path).toBe(path);
    expect(diffPool(spec, parsed)).toEqual([]);
  });
});
