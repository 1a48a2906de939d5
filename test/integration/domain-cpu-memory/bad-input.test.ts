/**
 * Bad CPU/memory input through `virtfleet apply --local` (a real process, the real libvirtd):
 * what the policy alone shows is rejected at load with file:line:col (exit 2); what only the
 * host can tell — pinning to CPUs it does not have, a NUMA nodeset it lacks, hugepages it has
 * not reserved — fails the guest in the plan stage (`--dry-run`) and in apply, naming the host
 * and the field; nothing is defined.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virshResult } from "../../harness/virsh.js";

const prefix = testPrefix();
const guest = `${prefix}bad`;
const dir = tempDir("vft-cmbad-");
const policies = join(dir.path, "policies");
const free2M = () => Number(readFileSync("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "utf8").trim());

function writePolicy(fields: Record<string, unknown>): string {
  const domain = { name: guest, vcpus: 2, memory: "64MiB", state: "running", ...fields };
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "cmbad" },
    spec: { resources: { domains: [domain] } },
  };
  mkdirSync(policies, { recursive: true });
  const file = join(policies, "p.yaml");
  writeFileSync(file, stringify(doc));
  return file;
}

async function apply(...extra: string[]) {
  const r = await runCli(["apply", policies, "--local", "--json", "--name", "kvm-test-7", ...extra]);
  const doc = r.code === 2 ? null : JSON.parse(r.stdout);
  return { ...r, domain: doc?.resources.find((x: { kind: string }) => x.kind === "domain") };
}

beforeAll(() => assertBuilt());
afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("bad CPU and memory input", () => {
  it("the policy alone: rejected at load with file:line:col", async () => {
    const file = writePolicy({ vcpus: 6, maxVcpus: 4 });
    const r = await apply();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${file}:\\d+:\\d+: spec\\.resources\\.domains\\[0\\]\\.vcpus: must be at most maxVcpus \\(4\\)`),
    );
    expect((await virshResult("dominfo", guest)).code).not.toBe(0);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "pinning to a CPU the host lacks",
      { pinning: { vcpus: { "0": "4095" } } },
      /pinning\.vcpus\.0: CPU 4095 does not exist \(the host has CPUs /,
    ],
    [
      "an emulator pin the host lacks",
      { pinning: { emulator: "0-4095" } },
      /pinning\.emulator: CPU .*4095 does not exist/,
    ],
    [
      "a NUMA node the host lacks",
      { numa: { memoryNodeset: "63" } },
      /numa\.memoryNodeset: NUMA node 63 does not exist/,
    ],
  ])("%s: fails in the plan stage naming the host and the field; nothing defined", async (_, fields, message) => {
    writePolicy(fields);
    for (const mode of [["--dry-run"], []]) {
      const r = await apply(...mode);
      expect(r.domain.outcome).toBe("failed");
      expect(r.domain.error).toMatch(/^domain \S+: host kvm-test-7 cannot give it what it asks for: /);
      expect(r.domain.error).toMatch(message);
      expect((await virshResult("dominfo", guest)).code).not.toBe(0);
    }
  });

  it("hugepages the host has not reserved: fails naming the host and the field; nothing defined", async () => {
    // asks for more 2 MiB pages than are free right now
    const need = free2M() + 8;
    writePolicy({ memory: `${need * 2}MiB`, hugepages: "2MiB" });
    for (const mode of [["--dry-run"], []]) {
      const r = await apply(...mode);
      expect(r.domain.outcome).toBe("failed");
      expect(r.domain.error).toMatch(
        new RegExp(
          `host kvm-test-7 cannot give it what it asks for: hugepages: the guest needs ${need} free 2MiB pages`,
        ),
      );
      expect((await virshResult("dominfo", guest)).code).not.toBe(0);
    }
  });
});
