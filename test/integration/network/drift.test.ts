/**
 * Issue 22 item 3, drift: the Enforcer against the real libvirtd, no controller. A network
 * field changed behind virtfleet's back, as an operator would (`virsh net-update` of a DHCP
 * host, `virsh net-define` of an edited definition), is seen (libvirt network events and the
 * watch on /etc/libvirt/qemu/networks), classified corrective, repaired in enforce mode
 * (the DHCP host removed from the running network and its definition; the definition put
 * back and the network restarted, no guest being on it) and only reported in audit mode.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DriftRecord, Enforcer } from "../../../agent/enforce/index.js";
import { AgentStore } from "../../../agent/state/index.js";
import { createLogger, type ResolvedPolicy } from "../../../common/index.js";
import { buildNetworkXml, detectDomainEnv, type NetworkSpec } from "../../../kinds/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { freeSubnet24 } from "../../harness/subnet.js";
import { virsh, virshResult } from "../../harness/virsh.js";

const id = randomBytes(2).toString("hex");
const prefix = `vft-nw-${id}`;
const enforced = `${prefix}-enf`;
const audited = `${prefix}-aud`;
const dir = mkdtempSync(join(tmpdir(), "vft-nw-drift-"));
const log = createLogger("network-drift-test", process.env.VFT_LOG_LEVEL ?? "silent");
let hv: Hypervisor;
let store: AgentStore;
let enforcer: Enforcer;
let x = 0;
let y = 0;
const latencies: string[] = [];

function net(name: string, bridge: string, third: number): NetworkSpec {
  return {
    name,
    mode: "nat",
    bridge,
    ipv4: {
      address: `192.168.${third}.1`,
      prefix: 24,
      dhcp: {
        start: `192.168.${third}.100`,
        end: `192.168.${third}.150`,
        hosts: [{ mac: "52:54:00:4e:57:10", ip: `192.168.${third}.10`, name: null }],
      },
    },
    mtu: 1500,
    domain: "lab.internal",
    nat: null,
    ipv6: { address: `fd7e:${third.toString(16)}:${id}::1`, prefix: 64, dhcp: null },
    dns: { hosts: [{ ip: `192.168.${third}.5`, names: ["db.lab.internal"] }], forwarders: [] },
    portgroups: [],
    virtualport: null,
    interface: null,
    macvtapMode: null,
    pf: null,
    autostart: false,
    state: "active",
  };
}

function policy(name: string, mode: "enforce" | "audit", n: NetworkSpec): ResolvedPolicy {
  return {
    name,
    description: null,
    mode,
    priority: 0,
    source: { file: "test", line: 1, col: 1 },
    resources: { host: null, networks: [n], pools: [], volumes: [], domains: [] },
  };
}

function bundle() {
  const ps = [
    policy("nw-enf", "enforce", net(enforced, `vfnw${id}e`, x)),
    policy("nw-aud", "audit", net(audited, `vfnw${id}a`, y)),
  ];
  return {
    revision: "rev-1",
    generation: 1,
    policies: ps.map((p) => ({ name: p.name, revision: "p1", mode: p.mode, resolvedJson: JSON.stringify(p) })),
  };
}

interface Recorded {
  eventSeq: number;
  createdAt: number;
  body: DriftRecord;
}

function drifts(): Recorded[] {
  return store.outbox
    .pending(0, 1_000_000)
    .filter((e) => e.type === "drift")
    .map((e) => ({ eventSeq: e.eventSeq, createdAt: e.createdAt, body: JSON.parse(e.payloadJson) as DriftRecord }));
}

async function waitFor<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; drift so far: ${JSON.stringify(drifts().map((d) => d.body))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lastSeq = () => store.outbox.stats().lastEventSeq;
const driftAfter = (mark: number, pred: (d: DriftRecord) => boolean) =>
  drifts().find((d) => d.eventSeq > mark && pred(d.body));

async function defineEdited(name: string, edit: (xml: string) => string): Promise<void> {
  const file = join(dir, `${name}.xml`);
  const xml = edit(await virsh("net-dumpxml", "--inactive", name));
  writeFileSync(file, xml);
  await virsh("net-define", file);
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  x = await freeSubnet24();
  do y = await freeSubnet24();
  while (y === x);
  store = AgentStore.open(dir);
  store.bundles.save({ revision: "rev-1", generation: 1, bundleJson: JSON.stringify(bundle()) });
  enforcer = new Enforcer({
    hypervisor: () => Promise.resolve(hv),
    store,
    log,
    resyncIntervalMs: 0,
    flap: { threshold: 5, windowMs: 60_000 },
    shutdownTimeoutMs: 5_000,
    domainEnv: await detectDomainEnv(),
  });
  enforcer.start();
}, 30_000);

afterAll(async () => {
  await enforcer?.stop();
  for (const n of [enforced, audited]) {
    await virshResult("net-destroy", n);
    await virshResult("net-undefine", n);
  }
  await hv?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
  if (latencies.length) console.log(`network drift detection latency: ${latencies.join(", ")}`);
});

describe("network drift (real libvirtd, changes made with virsh)", () => {
  it("creates the enforced network at start; the audited one is not created (an operator then creates it by hand)", async () => {
    await waitFor("enforced network active", async () =>
      (await virshResult("net-info", enforced)).stdout.match(/Active:\s+yes/) ? true : undefined,
    );
    await enforcer.idle();
    expect((await virshResult("net-info", audited)).code).not.toBe(0);
    // The audited network is created by hand from the same spec, as an operator would have.
    const file = join(dir, "aud.xml");
    writeFileSync(file, buildNetworkXml(net(audited, `vfnw${id}a`, y)));
    await virsh("net-define", file);
    await virsh("net-start", audited);
  });

  it("enforce: a DHCP host added with net-update (live + config) is seen, classified corrective and removed again", async () => {
    await enforcer.idle();
    const mark = lastSeq();
    const host = `<host mac='52:54:00:4e:57:99' ip='192.168.${x}.99'/>`;
    await virsh("net-update", enforced, "add-last", "ip-dhcp-host", host, "--live", "--config");
    const done = Date.now();
    const d = await waitFor("DHCP host drift", () =>
      driftAfter(mark, (r) => r.name === enforced && r.fields.some((f) => f.field.startsWith("ipv4.dhcp.hosts["))),
    );
    expect(d.body).toMatchObject({
      kind: "network",
      policy: "nw-enf",
      classification: "corrective",
      remediation: "repaired",
    });
    latencies.push(`net-update: ${d.createdAt - done} ms`);
    expect(d.createdAt - done).toBeLessThan(2_000);
    await waitFor("repaired", () => driftAfter(d.eventSeq - 1, (r) => r.id === d.body.id && r.resolvedAtMs > 0));
    expect(await virsh("net-dumpxml", "--inactive", enforced)).not.toContain("52:54:00:4e:57:99");
    expect(await virsh("net-dumpxml", enforced)).not.toContain("52:54:00:4e:57:99");
  });

  it("enforce: net-define of an edited definition (MTU, domain, DNS host) is seen and put back; the network restarted with it", async () => {
    await enforcer.idle();
    const mark = lastSeq();
    const started = Date.now();
    await defineEdited(enforced, (xml) =>
      xml
        .replace("<mtu size='1500'/>", "<mtu size='1400'/>")
        .replace("<domain name='lab.internal'/>", "<domain name='other.internal'/>")
        .replace(`<host ip='192.168.${x}.5'>`, `<host ip='192.168.${x}.6'>`),
    );
    const d = await waitFor("definition drift", () => driftAfter(mark, (r) => r.name === enforced));
    latencies.push(`net-define (from before virsh ran): ${d.createdAt - started} ms`);
    expect(d.body).toMatchObject({ classification: "corrective", remediation: "repaired" });
    expect(d.body.fields.map((f) => f.field).sort()).toEqual(
      ["dns.hosts[0]", "dns.hosts[192.168." + x + ".6]", "domain", "mtu"].sort(),
    );
    await waitFor("repaired", () => driftAfter(d.eventSeq - 1, (r) => r.id === d.body.id && r.resolvedAtMs > 0));
    const xml = await virsh("net-dumpxml", "--inactive", enforced);
    expect(xml).toContain("<mtu size='1500'/>");
    expect(xml).toContain("<domain name='lab.internal'/>");
    expect(readFileSync(`/sys/class/net/vfnw${id}e/mtu`, "utf8").trim()).toBe("1500");
  });

  it("audit: the same changes are reported, never repaired", async () => {
    await enforcer.idle();
    const mark = lastSeq();
    await virsh(
      "net-update",
      audited,
      "add-last",
      "ip-dhcp-host",
      `<host mac='52:54:00:4e:57:98' ip='192.168.${y}.98'/>`,
      "--live",
      "--config",
    );
    const d = await waitFor("audited drift", () => driftAfter(mark, (r) => r.name === audited));
    expect(d.body).toMatchObject({ policy: "nw-aud", classification: "corrective", remediation: "reported" });
    await enforcer.idle();
    await new Promise((r) => setTimeout(r, 500));
    expect(await virsh("net-dumpxml", "--inactive", audited)).toContain("52:54:00:4e:57:98");
  });
});
