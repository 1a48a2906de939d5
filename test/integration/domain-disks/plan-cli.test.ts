/**
 * Through `virtfleet apply --local --name HOST` (the agent's engine, the same dry-run the plan
 * stage runs) against the real libvirtd: a guest whose file disk does not exist and whose
 * device disk is not a block device fails in the dry-run and in apply, naming the host and
 * each field; nothing is defined. A bad disk option is refused at load with file:line:col.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virshResult } from "../../harness/virsh.js";

const prefix = testPrefix();
const dir = tempDir("vft-disks-cli-");
const guest = `${prefix}g`;
const missing = join(dir.path, "missing.img");

const write = (disks: unknown[]) =>
  writeFileSync(
    join(dir.path, "p.yaml"),
    stringify({
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: "disks" },
      spec: { resources: { domains: [{ name: guest, vcpus: 1, memory: "64MiB", state: "shutoff", disks }] } },
    }),
  );

beforeAll(() => assertBuilt());
afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("disk sources the host does not have", () => {
  it("fail the plan and the apply naming the host and the fields; nothing defined", async () => {
    write([{ file: missing }, { device: "/dev/null" }]);
    for (const dryRun of [true, false]) {
      const r = await runCli([
        "apply",
        dir.path,
        "--local",
        "--json",
        "--name",
        "h-disks",
        ...(dryRun ? ["--dry-run"] : []),
      ]);
      expect(r.code).toBe(1);
      const d = (
        JSON.parse(r.stdout) as { resources: { kind: string; name: string; outcome: string; error?: string }[] }
      ).resources.find((x) => x.kind === "domain" && x.name === guest);
      expect(d?.outcome).toBe("failed");
      expect(d?.error).toContain(`disks[0].file ${JSON.stringify(missing)} does not exist`);
      expect(d?.error).toContain('disks[1].device "/dev/null" is not a block device on host h-disks');
      expect((await virshResult("dominfo", guest)).code).not.toBe(0);
    }
  });

  it("a bad option is refused at load with file:line:col, nothing applied", async () => {
    write([{ file: missing, io: "native" }]);
    const r = await runCli(["apply", dir.path, "--local"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.disks\[0\]\.io: io: native needs cache/);
    expect(r.stderr).toMatch(/nothing was applied/);
  });
});
