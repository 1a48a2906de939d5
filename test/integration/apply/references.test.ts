import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virshResult } from "../../harness/virsh.js";

/**
 * Issue 21 item 10 against the real libvirtd, through `virtfleet apply --local` (the agent's
 * engine and the same dry-run the plan stage runs): a guest on a network or pool that neither
 * the policies nor the host have fails before anything is defined — in the dry-run too — and
 * a bridge-mode network on a bridge the host does not have fails instead of being "active".
 */
const prefix = testPrefix();
const dir = tempDir("vft-refs-");
const short = prefix.slice(4, 10);

interface Resource {
  kind: string;
  name: string;
  outcome: string;
  error?: string;
  changes: { field: string; from: unknown; to: unknown }[];
}

const write = (resources: Record<string, unknown>) =>
  writeFileSync(
    join(dir.path, "p.yaml"),
    stringify({ apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name: "refs" }, spec: { resources } }),
  );

async function apply(dryRun: boolean): Promise<{ code: number | null; resources: Resource[]; stderr: string }> {
  const r = await runCli(["apply", dir.path, "--local", "--json", ...(dryRun ? ["--dry-run"] : [])]);
  const doc = JSON.parse(r.stdout) as { resources: Resource[] };
  return { code: r.code, resources: doc.resources, stderr: r.stderr };
}
const find = (rs: Resource[], kind: string, name: string) => rs.find((r) => r.kind === kind && r.name === name);

beforeAll(() => assertBuilt());
afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("dangling references fail early, with a real libvirtd", () => {
  const guest = `${prefix}g`;
  const declaredNet = `${prefix}net`;

  it("a guest on a network and a pool nobody has: failed in the dry-run and in apply, nothing defined", async () => {
    write({
      networks: [{ name: declaredNet, mode: "isolated", bridge: `vfr${short}`, autostart: false }],
      domains: [
        {
          name: guest,
          vcpus: 1,
          memory: "64MiB",
          state: "shutoff",
          autostart: false,
          interfaces: [{ network: declaredNet }, { network: `${prefix}nonet` }],
          disks: [{ volume: `${prefix}nopool/disk.qcow2` }],
        },
      ],
    });
    for (const dryRun of [true, false]) {
      const r = await apply(dryRun);
      expect(r.code).toBe(1);
      const d = find(r.resources, "domain", guest);
      expect(d?.outcome).toBe("failed");
      expect(d?.error).toContain(`interfaces[1]: network "${prefix}nonet"`);
      expect(d?.error).toContain(`disks[0]: pool "${prefix}nopool"`);
      // The declared network is not reported missing (it is created first).
      expect(d?.error).not.toContain(`"${declaredNet}"`);
      expect((await virshResult("dominfo", guest)).code).not.toBe(0);
    }
  });

  it("a guest on a network the host has but no policy declares passes the check", async () => {
    write({
      domains: [
        {
          name: guest,
          vcpus: 1,
          memory: "64MiB",
          state: "shutoff",
          autostart: false,
          interfaces: [{ network: declaredNet }],
        },
      ],
    });
    // declaredNet exists on the host now (the previous apply created it).
    expect((await virshResult("net-info", declaredNet)).code).toBe(0);
    const r = await apply(true);
    expect(find(r.resources, "domain", guest)).toMatchObject({ outcome: "drift" });
  });

  it("a bridge-mode network on a bridge the host does not have is failed, never active", async () => {
    const net = `${prefix}brnet`;
    const bridge = `vfnb${short}`;
    write({ networks: [{ name: net, mode: "bridge", bridge, autostart: false }] });
    for (const dryRun of [true, false]) {
      const r = await apply(dryRun);
      expect(r.code).toBe(1);
      const n = find(r.resources, "network", net);
      expect(n?.outcome).toBe("failed");
      expect(n?.error).toMatch(new RegExp(`uses bridge ${bridge}, which does not exist on host \\S+: `));
      expect((await virshResult("net-info", net)).code).not.toBe(0);
    }
  });
});
