/**
 * host.hugepages with the real kernel, through `virtfleet apply --local` (a real process):
 * a dry-run reports the count as drift and writes nothing; apply reserves the pages by
 * writing /sys/kernel/mm/hugepages/hugepages-<kB>kB/nr_hugepages; a second apply changes
 * nothing; an audit-mode policy only reports. The machine's counts are read first and
 * written back afterwards (never left changed). 2 MiB pages always (16 more than the machine
 * has); 1 GiB pages as far as this kernel allows: one more page is asked for, and when the
 * kernel cannot find a free contiguous GiB the run must fail naming the field and restore the
 * previous count.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";

const dir = (kb: number) => `/sys/kernel/mm/hugepages/hugepages-${kb}kB`;
const read = (kb: number) => Number(readFileSync(`${dir(kb)}/nr_hugepages`, "utf8").trim());
const write = (kb: number, n: number) => writeFileSync(`${dir(kb)}/nr_hugepages`, String(n));
const HAS_1G = existsSync(dir(1048576));
if (!HAS_1G)
  console.warn(
    "host-hugepages.test.ts, 1 GiB pages: skipped: this kernel has no /sys/kernel/mm/hugepages/hugepages-1048576kB (no pdpe1gb / CONFIG_HUGETLB_PAGE 1G)",
  );

const tmp = tempDir("vft-hugepages-");
const policies = join(tmp.path, "policies");
const before = { "2MiB": 0, "1GiB": 0 };

function writePolicy(name: string, hugepages: Record<string, number>, mode = "enforce"): void {
  mkdirSync(policies, { recursive: true });
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name },
    spec: { mode, resources: { host: { hugepages } } },
  };
  writeFileSync(join(policies, `${name}.yaml`), stringify(doc));
}

async function apply(...extra: string[]) {
  const r = await runCli(["apply", policies, "--local", "--json", "--name", "hp-host", ...extra]);
  const doc = JSON.parse(r.stdout) as {
    resources: { kind: string; name: string; outcome: string; error?: string; changes: unknown[] }[];
  };
  return { code: r.code, host: doc.resources.filter((x) => x.kind === "host") };
}

beforeAll(() => {
  assertBuilt();
  before["2MiB"] = read(2048);
  if (HAS_1G) before["1GiB"] = read(1048576);
});
afterAll(() => {
  write(2048, before["2MiB"]);
  if (HAS_1G) write(1048576, before["1GiB"]);
  expect(read(2048)).toBe(before["2MiB"]);
  tmp.cleanup();
});

describe("host.hugepages on the real kernel", () => {
  it("2 MiB: dry-run reports, apply reserves, a second apply is a no-op, audit only reports", async () => {
    const want = before["2MiB"] + 16;
    writePolicy("hp", { "2MiB": want });
    const dry = await apply("--dry-run");
    expect(dry.code).toBe(3);
    expect(dry.host[0]!.changes).toEqual([
      { field: "hugepages.2MiB", from: before["2MiB"], to: want, disruption: "live" },
    ]);
    expect(read(2048)).toBe(before["2MiB"]);

    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.host[0]!.outcome).toBe("changed");
    expect(read(2048)).toBe(want);
    expect((await apply()).host[0]!.outcome).toBe("ok");

    // drift (pages released by hand) is repaired
    write(2048, before["2MiB"]);
    expect((await apply()).host[0]!.changes).toEqual([
      { field: "hugepages.2MiB", from: before["2MiB"], to: want, disruption: "live" },
    ]);
    expect(read(2048)).toBe(want);

    // an audit-mode policy reports the difference and writes nothing
    writePolicy("hp", { "2MiB": want + 8 }, "audit");
    const audit = await apply();
    expect(audit.host[0]!.changes).toEqual([{ field: "hugepages.2MiB", from: want, to: want + 8, disruption: "live" }]);
    expect(read(2048)).toBe(want);
  });

  it.skipIf(!HAS_1G)(
    "1 GiB: reserved when the kernel finds a free GiB; otherwise fails naming the field, count restored",
    async () => {
      const want = before["1GiB"] + 1;
      writePolicy("hp", { "1GiB": want });
      const r = await apply();
      if (r.code === 0) {
        expect(r.host[0]!.changes).toEqual([
          { field: "hugepages.1GiB", from: before["1GiB"], to: want, disruption: "live" },
        ]);
        expect(read(1048576)).toBe(want);
      } else {
        console.warn(`1 GiB pages: this kernel could not reserve one more: ${r.host[0]!.error}`);
        expect(r.host[0]!.error).toMatch(
          /^host\.hugepages\["1GiB"\]: host hp-host reserved only \d+ of \d+ 1GiB pages/,
        );
        expect(read(1048576)).toBe(before["1GiB"]);
      }
      write(1048576, before["1GiB"]);
    },
  );
});
