import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Hypervisor, type HypervisorEvent } from "../../../libvirt/index.js";
import { cleanupPrefix, testPrefix, tinyDomainXml, virsh } from "../../harness/virsh.js";

const prefix = testPrefix();
const tmp = mkdtempSync(`/tmp/${prefix}`);
let hv: Hypervisor;

beforeAll(async () => {
  hv = await Hypervisor.open();
});

afterAll(async () => {
  await hv?.close();
  await cleanupPrefix(prefix);
  rmSync(tmp, { recursive: true, force: true });
});

interface Seen {
  at: number;
  ev: HypervisorEvent;
}

function collect(sub: AsyncIterable<HypervisorEvent>): { seen: Seen[]; done: Promise<void> } {
  const seen: Seen[] = [];
  const done = (async () => {
    for await (const ev of sub) seen.push({ at: Date.now(), ev });
  })();
  return { seen, done };
}

async function waitFor(seen: Seen[], what: string, pred: (ev: HypervisorEvent) => boolean, ms = 5_000): Promise<Seen> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = seen.find((s) => pred(s.ev));
    if (hit) return hit;
    if (Date.now() > end)
      throw new Error(`no ${what} event within ${ms} ms; saw ${JSON.stringify(seen.map((s) => s.ev))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Latency is measured from the moment virsh returns (the change is done) to arrival.
test("events for changes made with virsh arrive within 1 s", async () => {
  const ac = new AbortController();
  const sub = hv.events(ac.signal);
  await sub.ready;
  const { seen, done } = collect(sub);

  const dom = `${prefix}evdom`;
  const file = `${tmp}/evdom.xml`;
  writeFileSync(file, tinyDomainXml(dom));
  await virsh("define", file);
  await waitFor(
    seen,
    "defined",
    (e) => e.kind === "domain-lifecycle" && e.domain.name === dom && e.event === "defined",
  );

  await virsh("start", dom);
  let t0 = Date.now();
  let hit = await waitFor(
    seen,
    "started",
    (e) => e.kind === "domain-lifecycle" && e.domain.name === dom && e.event === "started" && e.detail === "booted",
  );
  expect(hit.at - t0).toBeLessThan(1_000);

  await virsh("destroy", dom);
  t0 = Date.now();
  hit = await waitFor(
    seen,
    "stopped",
    (e) => e.kind === "domain-lifecycle" && e.domain.name === dom && e.event === "stopped" && e.detail === "destroyed",
  );
  expect(hit.at - t0).toBeLessThan(1_000);

  await virsh("metadata", dom, "https://virtfleet.dev/ns/ev", "--config", "--key", "vft", "--set", "<rev n='1'/>");
  t0 = Date.now();
  hit = await waitFor(seen, "metadata-change", (e) => e.kind === "domain-metadata-change" && e.domain.name === dom);
  expect(hit.at - t0).toBeLessThan(1_000);

  const net = `${prefix}evnet`;
  const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
  const netFile = `${tmp}/evnet.xml`;
  writeFileSync(
    netFile,
    `<network><name>${net}</name><bridge name='vftbr${prefix.slice(4, 8)}'/><ip address='${subnet}.1' netmask='255.255.255.0'/></network>`,
  );
  await virsh("net-define", netFile);
  await virsh("net-start", net);
  await waitFor(
    seen,
    "network started",
    (e) => e.kind === "network-lifecycle" && e.network.name === net && e.event === "started",
  );
  await virsh("net-destroy", net);
  t0 = Date.now();
  hit = await waitFor(
    seen,
    "network stopped",
    (e) => e.kind === "network-lifecycle" && e.network.name === net && e.event === "stopped",
  );
  expect(hit.at - t0).toBeLessThan(1_000);

  const pool = `${prefix}evpool`;
  await virsh("pool-define-as", pool, "dir", "--target", `${tmp}/pooldir`);
  await virsh("pool-build", pool);
  await virsh("pool-start", pool);
  t0 = Date.now();
  hit = await waitFor(
    seen,
    "pool started",
    (e) => e.kind === "pool-lifecycle" && e.pool.name === pool && e.event === "started",
  );
  expect(hit.at - t0).toBeLessThan(1_000);
  await virsh("pool-refresh", pool);
  await waitFor(seen, "pool refresh", (e) => e.kind === "pool-refresh" && e.pool.name === pool);
  await virsh("pool-destroy", pool);
  await waitFor(
    seen,
    "pool stopped",
    (e) => e.kind === "pool-lifecycle" && e.pool.name === pool && e.event === "stopped",
  );
  await virsh("pool-delete", pool);
  await virsh("pool-undefine", pool);

  await virsh("undefine", dom);
  await waitFor(
    seen,
    "undefined",
    (e) => e.kind === "domain-lifecycle" && e.domain.name === dom && e.event === "undefined",
  );

  ac.abort();
  await done;
  expect(seen.every((s) => s.ev.kind !== "overflow" && s.ev.kind !== "connection")).toBe(true);
});

test("two subscribers share registrations; aborting one leaves the other working", async () => {
  const a = new AbortController();
  const b = new AbortController();
  const subA = hv.events(a.signal, { sources: ["domain-lifecycle"] });
  const subB = hv.events(b.signal, { sources: ["domain-lifecycle"] });
  await Promise.all([subA.ready, subB.ready]);
  const ca = collect(subA);
  const cb = collect(subB);
  a.abort();
  await ca.done;
  const dom = `${prefix}ev2`;
  const file = `${tmp}/ev2.xml`;
  writeFileSync(file, tinyDomainXml(dom));
  await virsh("define", file);
  await waitFor(cb.seen, "defined", (e) => e.kind === "domain-lifecycle" && e.domain.name === dom);
  expect(ca.seen.some((s) => s.ev.kind === "domain-lifecycle" && s.ev.domain.name === dom)).toBe(false);
  b.abort();
  await cb.done;
  await virsh("undefine", dom);
});
