import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isNotFound } from "../../../common/errors.js";
import { capabilityFacts, collectLibvirtFacts, libvirtFacts } from "../../../agent/facts/index.js";
import {
  Hypervisor,
  LibvirtConnection,
  LibvirtConnectionError,
  LibvirtError,
  LibvirtRemote,
  ErrorCode,
  isAlreadyExists,
  isInvalidXml,
  isLibvirtNotFound,
} from "../../../libvirt/index.js";
import {
  cleanupPrefix,
  HOST_DOMAIN_TYPE,
  testPrefix,
  tinyDomainXml,
  virsh,
  virshResult,
  volumeNames,
} from "../../harness/virsh.js";

const prefix = testPrefix();
let hv: Hypervisor;

beforeAll(async () => {
  hv = await Hypervisor.open();
});

afterAll(async () => {
  await hv?.close();
  await cleanupPrefix(prefix);
});

describe("connection", () => {
  test("reports version, hypervisor and capability facts", async () => {
    const v = await hv.version();
    expect(v.hypervisor).toBe("QEMU");
    const virshVersion = await virsh("version");
    expect(virshVersion).toContain(`Using library: libvirt ${v.libvirt}`);
    expect(virshVersion).toContain(`Running hypervisor: QEMU ${v.hypervisorVersion.split(".").slice(0, 2).join(".")}`);
    expect(await hv.hostname()).toBe(os.hostname());
    const node = await hv.nodeInfo();
    expect(node.cpus).toBe(os.cpus().length);
    const caps = await capabilityFacts(hv);
    expect(caps.domainTypes).toContain(HOST_DOMAIN_TYPE);
    expect(caps.machineTypes).toContain("pc");
    expect(caps.numaCells).toBeGreaterThanOrEqual(1);
    expect(caps.maxVcpus).toBeGreaterThan(0);
    expect(caps.hostCpuModel).toBeTruthy();
    const facts = await libvirtFacts(hv);
    expect(facts).toMatchObject({ reachable: true, version: v.libvirt, hypervisor: "QEMU", error: null });
  });

  test("a missing socket is a clear, typed error", async () => {
    const err = await LibvirtConnection.open({ socketPath: `/tmp/${prefix}absent.sock` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtConnectionError);
    expect((err as LibvirtConnectionError).reason).toBe("socket-absent");
    expect((err as Error).message).toMatch(/does not exist; is libvirtd running/);
    const facts = await collectLibvirtFacts({ socketPath: `/tmp/${prefix}absent.sock` });
    expect(facts.reachable).toBe(false);
    expect(facts.error).toMatch(/does not exist/);
  });

  test("keepalive interoperates with libvirtd: an idle connection with a short interval stays up", async () => {
    const conn = await LibvirtConnection.open({ keepaliveIntervalMs: 100, keepaliveCount: 2 });
    expect(await new LibvirtRemote(conn).connectSupportsFeature(10)).toBe(true); // so our pings are on
    const states: string[] = [];
    conn.onStateChange((s) => states.push(s.state));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(conn.state).toBe("ready");
    expect(states).toEqual([]);
    await conn.close();
  });

  test("50 concurrent calls on one connection all answer correctly", async () => {
    const name = `${prefix}conc`;
    const ref = await hv.defineDomain(tinyDomainXml(name));
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      switch (i % 5) {
        case 0:
          calls.push(hv.domainXml(ref, { inactive: true }).then((x) => x.includes(`<name>${name}</name>`)));
          break;
        case 1:
          calls.push(hv.hostname().then((h) => h === os.hostname()));
          break;
        case 2:
          calls.push(hv.domain(name).then((d) => d.uuid === ref.uuid));
          break;
        case 3:
          calls.push(hv.domainState(ref).then((s) => s.state === "shutoff"));
          break;
        case 4:
          calls.push(
            hv.domain(`${prefix}missing-${i}`).then(
              () => false,
              (e: unknown) => isNotFound(e),
            ),
          );
          break;
      }
    }
    const results = await Promise.all(calls);
    expect(results).toEqual(new Array(50).fill(true));
    await hv.undefineDomain(ref);
  });
});

describe("domain lifecycle (diskless KVM guest)", () => {
  test("define, configure, start, suspend, resume, destroy, undefine — each checked with virsh", async () => {
    const name = `${prefix}dom`;
    const ref = await hv.defineDomain(tinyDomainXml(name));
    expect(ref.name).toBe(name);
    expect(ref.id).toBe(-1);
    expect((await virsh("domstate", name)).trim()).toBe("shut off");
    expect((await virsh("domuuid", name)).trim()).toBe(ref.uuid);

    const inactive = await hv.domainXml(name, { inactive: true });
    expect(inactive).toContain(`<uuid>${ref.uuid}</uuid>`);
    expect((await hv.domains()).map((d) => d.name)).toContain(name);

    await hv.setDomainAutostart(name, true);
    expect(await hv.domainAutostart(name)).toBe(true);
    expect(await virsh("dominfo", name)).toMatch(/Autostart:\s+enable/);
    await hv.setDomainAutostart(name, false);
    expect(await virsh("dominfo", name)).toMatch(/Autostart:\s+disable/);

    await hv.setDomainVcpus(name, 2, { config: true });
    await hv.setDomainMemory(name, 96 * 1024, { config: true });
    const cfg = await virsh("dumpxml", name, "--inactive");
    expect(cfg).toMatch(/<vcpu placement='static'>2<\/vcpu>/);
    expect(cfg).toMatch(/<currentMemory unit='KiB'>98304<\/currentMemory>/);

    const cdrom = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>";
    await hv.attachDevice(name, cdrom, { config: true });
    expect(await virsh("dumpxml", name, "--inactive")).toContain("<target dev='hdc' bus='ide'/>");
    await hv.detachDevice(name, cdrom, { config: true });
    expect(await virsh("dumpxml", name, "--inactive")).not.toContain("dev='hdc'");

    const uri = "https://virtfleet.dev/ns/test/1";
    await hv.setDomainMetadata(name, { type: "element", value: "<policy rev='3'/>", key: "vft", uri, config: true });
    expect(await hv.domainMetadata(name, { type: "element", uri, inactive: true })).toMatch(/<policy rev=.3.\/>/);
    expect(await virsh("metadata", name, uri, "--config")).toMatch(/<policy rev=.3.\/>/);
    await hv.setDomainMetadata(name, { type: "description", value: "made by a test", config: true });
    expect(await hv.domainMetadata(name, { type: "description", inactive: true })).toBe("made by a test");
    expect(await hv.domainMetadata(name, { type: "title", inactive: true })).toBeNull();

    const running = await hv.startDomain(name);
    expect(running.id).toBeGreaterThan(0);
    expect((await virsh("domstate", name)).trim()).toBe("running");
    expect(await hv.domainState(running)).toMatchObject({ state: "running" });
    expect(await hv.domainIsActive(running)).toBe(true);

    await hv.suspendDomain(running);
    expect((await virsh("domstate", name)).trim()).toBe("paused");
    await hv.resumeDomain(running);
    expect((await virsh("domstate", name)).trim()).toBe("running");

    await hv.shutdownDomain(running); // no OS inside: the ACPI request is accepted and ignored
    await hv.destroyDomain(name);
    expect((await virsh("domstate", name)).trim()).toBe("shut off");
    expect(await hv.domainState(name)).toMatchObject({ state: "shutoff" });

    await hv.undefineDomain(name);
    expect((await virshResult("domstate", name)).code).not.toBe(0);
    const gone = await hv.domain(name).catch((e: unknown) => e);
    expect(isNotFound(gone)).toBe(true);
  });
});

describe("NAT network", () => {
  test("define, start, autostart, DHCP host update, destroy, undefine — each checked with virsh", async () => {
    const name = `${prefix}net`;
    const bridge = `vftbr${randomBytes(2).toString("hex")}`;
    const routes = await import("node:child_process").then((cp) => cp.execSync("ip -4 route").toString());
    let subnet = "";
    for (let i = 0; i < 50 && !subnet; i++) {
      const candidate = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
      if (!routes.includes(`${candidate}.`)) subnet = candidate;
    }
    const xml = `<network>
  <name>${name}</name>
  <forward mode='nat'/>
  <bridge name='${bridge}' stp='on' delay='0'/>
  <ip address='${subnet}.1' netmask='255.255.255.0'>
    <dhcp><range start='${subnet}.100' end='${subnet}.200'/></dhcp>
  </ip>
</network>`;
    const ref = await hv.defineNetwork(xml);
    expect(ref.name).toBe(name);
    expect(await virsh("net-info", name)).toMatch(/Active:\s+no/);
    expect(await hv.networkIsActive(ref)).toBe(false);

    await hv.startNetwork(ref);
    expect(await virsh("net-info", name)).toMatch(/Active:\s+yes/);
    expect(await hv.networkIsActive(name)).toBe(true);
    expect(await hv.networkBridge(name)).toBe(bridge);

    await hv.setNetworkAutostart(name, true);
    expect(await virsh("net-info", name)).toMatch(/Autostart:\s+yes/);
    expect(await hv.networkAutostart(name)).toBe(true);

    const mac = "52:54:00:aa:bb:01";
    await hv.updateNetwork(name, {
      command: "ADD_LAST",
      section: "IP_DHCP_HOST",
      xml: `<host mac='${mac}' name='vft-host' ip='${subnet}.50'/>`,
      live: true,
      config: true,
    });
    expect(await virsh("net-dumpxml", name)).toContain(`<host mac='${mac}' name='vft-host' ip='${subnet}.50'/>`);
    expect(await virsh("net-dumpxml", name, "--inactive")).toContain(`mac='${mac}'`);
    expect(await hv.networkXml(name, { inactive: true })).toContain(`mac='${mac}'`);
    expect((await hv.networks()).map((n) => n.name)).toContain(name);

    await hv.destroyNetwork(name);
    expect(await virsh("net-info", name)).toMatch(/Active:\s+no/);
    await hv.setNetworkAutostart(name, false);
    await hv.undefineNetwork(name);
    expect((await virshResult("net-info", name)).code).not.toBe(0);
    expect(isNotFound(await hv.network(name).catch((e: unknown) => e))).toBe(true);
  });
});

describe("dir storage pool with volumes", () => {
  test("define, build, start, volumes create/clone/resize/delete, destroy, delete, undefine — each checked with virsh", async () => {
    const name = `${prefix}pool`;
    const dir = `/tmp/${name}dir`;
    const ref = await hv.definePool(`<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`);
    expect(ref.name).toBe(name);
    expect(await virsh("pool-info", name)).toMatch(/State:\s+inactive/);
    await hv.buildPool(name);
    await hv.startPool(name);
    expect(await virsh("pool-info", name)).toMatch(/State:\s+running/);
    expect(await hv.poolIsActive(name)).toBe(true);
    await hv.setPoolAutostart(name, true);
    expect(await virsh("pool-info", name)).toMatch(/Autostart:\s+yes/);
    expect(await hv.poolAutostart(name)).toBe(true);
    const info = await hv.poolInfo(name);
    expect(info.state).toBe("running");
    expect(info.capacity).toBeGreaterThan(0);
    expect(await hv.poolXml(name, { inactive: true })).toContain(`<path>${dir}</path>`);
    expect((await hv.pools()).map((p) => p.name)).toContain(name);

    const vol = await hv.createVolume(
      name,
      `<volume><name>disk1.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`,
    );
    expect(vol).toMatchObject({ pool: name, name: "disk1.qcow2", key: `${dir}/disk1.qcow2` });
    expect(await hv.volumePath(vol)).toBe(`${dir}/disk1.qcow2`);
    expect(await hv.volumeInfo({ pool: name, name: "disk1.qcow2" })).toMatchObject({
      type: "file",
      capacity: 16 * 1024 * 1024,
    });
    expect(await virsh("vol-info", "disk1.qcow2", "--pool", name)).toMatch(/Capacity:\s+16\.00 MiB/);
    expect(await hv.volumeXml(vol)).toContain("<format type='qcow2'/>");

    const clone = await hv.cloneVolume(
      name,
      `<volume><name>disk2.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`,
      vol,
    );
    expect(clone.name).toBe("disk2.qcow2");
    await hv.resizeVolume(clone, 32 * 1024 * 1024);
    expect(await virsh("vol-info", "disk2.qcow2", "--pool", name)).toMatch(/Capacity:\s+32\.00 MiB/);
    await hv.refreshPool(name);
    expect((await hv.volumes(name)).map((v) => v.name).sort()).toEqual(["disk1.qcow2", "disk2.qcow2"]);
    expect((await volumeNames(name)).sort()).toEqual(["disk1.qcow2", "disk2.qcow2"]);

    await hv.deleteVolume(clone);
    await hv.deleteVolume({ pool: name, name: "disk1.qcow2" });
    expect(await volumeNames(name)).toEqual([]);
    expect(isNotFound(await hv.volume(name, "disk1.qcow2").catch((e: unknown) => e))).toBe(true);

    await hv.setPoolAutostart(name, false);
    await hv.destroyPool(name);
    expect(await virsh("pool-info", name)).toMatch(/State:\s+inactive/);
    await hv.deletePool(name);
    await hv.undefinePool(name);
    expect((await virshResult("pool-info", name)).code).not.toBe(0);
    expect(isNotFound(await hv.pool(name).catch((e: unknown) => e))).toBe(true);
  });
});

describe("typed errors", () => {
  test("unknown domain, network, pool are NOT_FOUND LibvirtErrors", async () => {
    const err = await hv.domain(`${prefix}nope`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    const le = err as LibvirtError;
    expect(le.libvirtCode).toBe(ErrorCode.NO_DOMAIN);
    expect(le.codeName).toBe("NO_DOMAIN");
    expect(le.code).toBe("NOT_FOUND");
    expect(le.procedure).toBe("DOMAIN_LOOKUP_BY_NAME");
    expect(le.message).toContain(`${prefix}nope`);
    expect(isNotFound(le)).toBe(true);
    expect(isLibvirtNotFound(le)).toBe(true);
    expect(((await hv.network(`${prefix}nope`).catch((e: unknown) => e)) as LibvirtError).libvirtCode).toBe(
      ErrorCode.NO_NETWORK,
    );
    expect(((await hv.pool(`${prefix}nope`).catch((e: unknown) => e)) as LibvirtError).libvirtCode).toBe(
      ErrorCode.NO_STORAGE_POOL,
    );
    // a bad UUID never reaches the wire
    await expect(hv.domainByUuid("not-a-uuid")).rejects.toThrow(/not a UUID/);
    // the connection is still usable after errors
    expect(await hv.hostname()).toBe(os.hostname());
  });

  test("invalid XML is an invalid-XML LibvirtError", async () => {
    const malformed = await hv.defineDomain(`<domain type='kvm'><name>${prefix}bad</name`).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(LibvirtError);
    expect(isInvalidXml(malformed)).toBe(true);
    const schema = await hv
      .defineDomain(tinyDomainXml(`${prefix}bad`).replace("<devices>", "<devices><bogus/>"))
      .catch((e: unknown) => e);
    expect(schema).toBeInstanceOf(LibvirtError);
    expect(isInvalidXml(schema)).toBe(true);
    expect((schema as LibvirtError).libvirtCode).toBe(ErrorCode.XML_INVALID_SCHEMA);
    expect((await virshResult("domstate", `${prefix}bad`)).code).not.toBe(0);
  });

  test("defining a second domain with an existing UUID is an already-exists LibvirtError", async () => {
    const uuid = randomUUID();
    await hv.defineDomain(tinyDomainXml(`${prefix}dup1`, uuid));
    const err = await hv.defineDomain(tinyDomainXml(`${prefix}dup2`, uuid)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(isAlreadyExists(err)).toBe(true);
    expect((err as LibvirtError).message).toContain(uuid);
    expect((await virshResult("domstate", `${prefix}dup2`)).code).not.toBe(0);
    await hv.undefineDomain(`${prefix}dup1`);
  });
});
