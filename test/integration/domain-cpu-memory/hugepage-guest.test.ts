/**
 * A guest backed by 2 MiB hugepages, started for real: one policy reserves the pages
 * (`host.hugepages`) and declares the guest (`hugepages: "2MiB"`); `virtfleet apply --local`
 * (a real process) plans it without complaint (the pages it reserves first count), then
 * reserves them, defines and starts the guest, whose memory then comes from
 * the pool (HugePages_Free drops by the guest's 32 pages); a second apply changes nothing.
 * libvirt needs a hugetlbfs mount it found when it started; this machine mounts none, so the
 * guest runs under a libvirtd of its own with one (isolated-libvirtd.ts). The machine's page
 * count is restored afterwards. Without KVM this runs under TCG.
 *
 * `memoryLock: true` is started too when the machine lets libvirt lift QEMU's locked-memory
 * limit (CAP_SYS_RESOURCE); this container has a hard RLIMIT_MEMLOCK of 8 MiB and no
 * CAP_SYS_RESOURCE, so there it is skipped naming that, and memoryLock is covered as far as
 * libvirt validates it (roundtrip.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { testPrefix } from "../../harness/virsh.js";
import { startIsolatedLibvirtd, type IsolatedLibvirtd } from "./isolated-libvirtd.js";

const CAP_SYS_RESOURCE = 24;
const CAN_LOCK =
  (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1]}`) >>
    BigInt(CAP_SYS_RESOURCE)) &
  1n;
if (!CAN_LOCK)
  console.warn(
    "hugepage-guest.test.ts, memoryLock: skipped: no CAP_SYS_RESOURCE here, so libvirt cannot lift QEMU's locked-memory limit (hard RLIMIT_MEMLOCK)",
  );
const POOL = "/sys/kernel/mm/hugepages/hugepages-2048kB";
const read = (f: string) => Number(readFileSync(`${POOL}/${f}`, "utf8").trim());
const prefix = testPrefix();
const guest = `${prefix}hp`;
const dir = tempDir("vft-cmhp-");
const policies = join(dir.path, "policies");
let libvirtd: IsolatedLibvirtd;
let before = 0;

beforeAll(async () => {
  assertBuilt();
  before = read("nr_hugepages");
  libvirtd = await startIsolatedLibvirtd(join(dir.path, "libvirt"));
}, 60_000);
afterAll(async () => {
  await libvirtd?.virsh("destroy", guest).catch(() => undefined);
  await libvirtd?.virsh("undefine", guest).catch(() => undefined);
  await libvirtd?.stop();
  writeFileSync(`${POOL}/nr_hugepages`, String(before));
  expect(read("nr_hugepages")).toBe(before);
  dir.cleanup();
}, 60_000);

async function apply(...extra: string[]) {
  const r = await runCli(["apply", policies, "--local", "--json", "--libvirt-socket", libvirtd.socket, ...extra]);
  const doc = JSON.parse(r.stdout) as {
    resources: { kind: string; outcome: string; error?: string; changes: unknown[] }[];
  };
  return { code: r.code, stderr: r.stderr, byKind: (k: string) => doc.resources.find((x) => x.kind === k)! };
}

describe("a guest backed by 2 MiB hugepages", () => {
  it("pages reserved by host.hugepages, the guest started on them; a second apply is a no-op", async () => {
    const want = before + 40;
    const doc = {
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: "cmhp" },
      spec: {
        resources: {
          host: { hugepages: { "2MiB": want } },
          domains: [{ name: guest, vcpus: 1, memory: "64MiB", hugepages: "2MiB", state: "running" }],
        },
      },
    };
    mkdirSync(policies, { recursive: true });
    writeFileSync(join(policies, "p.yaml"), stringify(doc));
    const freeBefore = read("free_hugepages");
    // the plan stage counts the pages host.hugepages reserves first: no failure, nothing changed
    const plan = await apply("--dry-run");
    expect(plan.code, plan.byKind("domain").error).toBe(3);
    expect(plan.byKind("domain").outcome).not.toBe("failed");
    expect(read("nr_hugepages")).toBe(before);
    const r = await apply();
    expect(r.code, `${r.byKind("domain").error ?? ""} ${r.stderr}`).toBe(0);
    expect(r.byKind("host").changes).toEqual([{ field: "hugepages.2MiB", from: before, to: want, disruption: "live" }]);
    expect(await libvirtd.virsh("domstate", guest)).toMatch(/running/);
    // the guest's 64 MiB are 32 pages taken from the pool
    expect(read("free_hugepages")).toBe(freeBefore + (want - before) - 32);
    const xml = await libvirtd.virsh("dumpxml", guest);
    expect(xml).toContain("<page size='2048' unit='KiB'/>");
    const again = await apply();
    expect(again.byKind("domain").outcome).toBe("ok");
    expect(again.byKind("host").outcome).toBe("ok");
  });

  it.skipIf(!CAN_LOCK)("memoryLock: the guest starts with its memory locked", async () => {
    const doc = {
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: "cmhp" },
      spec: {
        resources: {
          domains: [{ name: `${guest}-lock`, vcpus: 1, memory: "64MiB", memoryLock: true, state: "running" }],
        },
      },
    };
    writeFileSync(join(policies, "p.yaml"), stringify(doc));
    const r = await apply();
    expect(r.code, r.byKind("domain").error).toBe(0);
    expect(await libvirtd.virsh("domstate", `${guest}-lock`)).toMatch(/running/);
  });
});
