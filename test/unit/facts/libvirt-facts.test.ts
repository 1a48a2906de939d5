import { afterEach, describe, expect, test } from "vitest";
import { capabilityFacts, collectLibvirtFacts, libvirtFacts } from "../../../agent/facts/index.js";
import { Proc } from "../../../libvirt/constants.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { XdrWriter } from "../../../libvirt/xdr.js";
import { FakeDaemon, type FakeCall } from "../libvirt/fake-daemon.js";

const CAPS = `<capabilities>
  <host><cpu><arch>x86_64</arch><model>EPYC</model></cpu>
    <topology><cells num='2'><cell id='0'/><cell id='1'/></cells></topology></host>
  <guest><os_type>hvm</os_type><arch name='x86_64'>
    <machine maxCpus='255'>pc</machine><domain type='qemu'/><domain type='kvm'><machine maxCpus='288'>q35</machine></domain>
  </arch></guest>
</capabilities>`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A fake libvirtd answering the host queries; `maxVcpus` null answers that call with an error. */
async function fakeHost(o: { caps?: string | null; maxVcpus?: number | null } = {}) {
  const maxVcpusAsked: (string | null)[] = [];
  const daemon = new FakeDaemon({
    onCall: (c: FakeCall) => {
      const w = new XdrWriter();
      switch (c.header.procedure) {
        case Proc.CONNECT_GET_LIB_VERSION:
          return c.reply(w.uhyper(10_000_000).bytes());
        case Proc.CONNECT_GET_TYPE:
          return c.reply(w.string("QEMU", 100).bytes());
        case Proc.CONNECT_GET_VERSION:
          return c.reply(w.uhyper(7_002_000).bytes());
        case Proc.CONNECT_GET_CAPABILITIES:
          return o.caps === null
            ? c.error(1, "internal error: no capabilities")
            : c.reply(w.string(o.caps ?? CAPS, 1 << 20).bytes());
        case Proc.CONNECT_GET_MAX_VCPUS:
          maxVcpusAsked.push(
            c.body.readUInt32BE(0) === 0 ? null : c.body.subarray(8, 8 + c.body.readUInt32BE(4)).toString(),
          );
          return o.maxVcpus === null ? c.error(3, "not supported") : c.reply(w.int(o.maxVcpus ?? 710).bytes());
      }
    },
  });
  await daemon.listen();
  cleanups.push(() => daemon.close());
  return { daemon, maxVcpusAsked };
}

async function open(socketPath: string): Promise<Hypervisor> {
  const hv = await Hypervisor.open({ socketPath, callTimeoutMs: 1_000 });
  cleanups.push(() => hv.close());
  return hv;
}

describe("libvirt facts from the Hypervisor facade", () => {
  test("capabilityFacts reads the XML and asks the KVM driver for max vCPUs", async () => {
    const { daemon, maxVcpusAsked } = await fakeHost();
    const caps = await capabilityFacts(await open(daemon.socketPath));
    expect(caps).toEqual({
      hostCpuModel: "EPYC",
      maxVcpus: 710,
      numaCells: 2,
      machineTypes: ["pc", "q35"],
      domainTypes: ["qemu", "kvm"],
    });
    expect(maxVcpusAsked).toEqual(["kvm"]);
  });

  test("a failing max-vCPUs query falls back to the highest machine maxCpus", async () => {
    const { daemon } = await fakeHost({ maxVcpus: null });
    expect((await capabilityFacts(await open(daemon.socketPath))).maxVcpus).toBe(288);
  });

  test("libvirtFacts: version and hypervisor; a capabilities failure lands in error", async () => {
    const { daemon } = await fakeHost({ caps: null });
    const facts = await libvirtFacts(await open(daemon.socketPath));
    expect(facts).toMatchObject({
      reachable: true,
      socket: daemon.socketPath,
      version: "10.0.0",
      hypervisor: "QEMU",
      hypervisorVersion: "7.2.0",
      capabilities: null,
    });
    expect(facts.error).toMatch(/^capabilities: .*no capabilities/);
  });

  test("collectLibvirtFacts opens, collects and closes; an absent socket gives reachable false", async () => {
    const { daemon } = await fakeHost();
    const facts = await collectLibvirtFacts({ socketPath: daemon.socketPath });
    expect(facts).toMatchObject({ reachable: true, version: "10.0.0", error: null });
    expect(facts.capabilities?.numaCells).toBe(2);
    expect(daemon.calls.at(-1)!.procedure).toBe(Proc.CONNECT_CLOSE);
    const absent = await collectLibvirtFacts({ socketPath: "/nonexistent/vft/libvirt-sock" });
    expect(absent).toMatchObject({
      reachable: false,
      socket: "/nonexistent/vft/libvirt-sock",
      version: null,
      capabilities: null,
    });
    expect(absent.error).toMatch(/does not exist/);
  });
});
