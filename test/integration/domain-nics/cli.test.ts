/**
 * NICs through `virtfleet apply --local` (the agent's engine and the plan stage's dry-run)
 * against the real libvirtd: bad NIC input is refused at load with file:line:col; a bridge
 * the host does not have fails the dry-run and the apply naming the host and the field, with
 * nothing defined; a running guest on a port group of a network the same policy declares and
 * on a bridge the test creates converges, and a second run changes nothing.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../../harness/virsh.js";

const run = promisify(execFile);
const prefix = testPrefix();
const short = prefix.slice(4, 10);
const bridge = `vft${short}cb`;
const dir = tempDir("vft-nics-cli-");
const HOST = "nics-cli-host";

interface Resource {
  kind: string;
  name: string;
  outcome: string;
  error?: string;
  changes: { field: string; from: unknown; to: unknown; disruption: string }[];
}

const write = (resources: Record<string, unknown>) =>
  writeFileSync(
    join(dir.path, "p.yaml"),
    stringify({ apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name: "nics" }, spec: { resources } }),
  );

async function apply(dryRun: boolean) {
  const r = await runCli(["apply", dir.path, "--local", "--json", "--name", HOST, ...(dryRun ? ["--dry-run"] : [])]);
  let resources: Resource[] = [];
  try {
    resources = (JSON.parse(r.stdout) as { resources: Resource[] }).resources;
  } catch {
    resources = [];
  }
  return { code: r.code, resources, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  assertBuilt();
  await run("ip", ["link", "add", bridge, "type", "bridge"]);
  await run("ip", ["link", "set", bridge, "up"]);
});
afterAll(async () => {
  await cleanupPrefix(prefix);
  await run("ip", ["link", "del", bridge]).catch(() => undefined);
  dir.cleanup();
}, 60_000);

const guest = (interfaces: unknown[], state = "running") => ({
  name: `${prefix}g`,
  vcpus: 1,
  memory: "64MiB",
  state,
  interfaces,
});

describe("NICs through apply --local", () => {
  it("bad NIC input is refused at load, at its line and column", async () => {
    write({
      domains: [
        guest([
          { direct: "eth0", macvtapMode: "bridge", vlan: 20 },
          { network: "n1", bridge },
          { bridge, portgroup: "pg1" },
        ]),
      ],
    });
    const r = await apply(true);
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(
      /p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.interfaces\[0\]\.vlan: a VLAN tag on a direct NIC needs macvtapMode passthrough/,
    );
    expect(out).toMatch(
      /p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.interfaces\[1\]\.bridge: a NIC attaches to one of network, bridge or direct/,
    );
    expect(out).toMatch(
      /p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.interfaces\[2\]\.portgroup: portgroup needs network/,
    );
    expect((await virshResult("dominfo", `${prefix}g`)).code).not.toBe(0);
  });

  it("a bridge the host does not have fails the dry-run and the apply naming the host and the field", async () => {
    write({ domains: [guest([{ bridge: `vft${short}nx` }], "shutoff")] });
    for (const dryRun of [true, false]) {
      const r = await apply(dryRun);
      expect(r.code).toBe(1);
      const d = r.resources.find((x) => x.kind === "domain");
      expect(d?.outcome).toBe("failed");
      expect(d?.error).toContain(`on host ${HOST}`);
      expect(d?.error).toContain(`interfaces[0].bridge: bridge "vft${short}nx" does not exist`);
      expect((await virshResult("dominfo", `${prefix}g`)).code).not.toBe(0);
    }
  });

  it("a running guest on a declared network's port group and a host bridge converges; a second run changes nothing", async () => {
    const net = `${prefix}net`;
    write({
      networks: [{ name: net, mode: "isolated", bridge: `vft${short}nb`, portgroups: [{ name: "pg1" }] }],
      domains: [
        guest([
          { network: net, portgroup: "pg1", mac: "52:54:00:AB:CD:01", link: "down", bootIndex: 1, queues: 2 },
          { bridge, model: "e1000" },
        ]),
      ],
    });
    const first = await apply(false);
    expect(first.code, first.stderr).toBe(0);
    expect((await virsh("domstate", `${prefix}g`)).trim()).toBe("running");
    const list = await virsh("domiflist", `${prefix}g`);
    expect(list).toMatch(new RegExp(`network\\s+${net}\\s+virtio\\s+52:54:00:ab:cd:01`));
    expect(list).toMatch(new RegExp(`bridge\\s+${bridge}\\s+e1000`));
    expect((await virsh("domif-getlink", `${prefix}g`, "52:54:00:ab:cd:01")).trim()).toMatch(/ down$/);
    const again = await apply(true);
    expect(again.code, again.stdout).toBe(0);
    expect(again.resources.flatMap((x) => x.changes)).toEqual([]);
  }, 120_000);
});
