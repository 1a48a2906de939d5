import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virshResult } from "../../harness/virsh.js";

// Issue 21 item 19: `state: absent` needs only what identifies the object (name; pool + name for
// a volume). A real removal with `virtfleet apply --local` against the real libvirtd, checked
// with virsh: objects created from a full policy are removed by a policy that names them only.
const prefix = testPrefix();
const dir = tempDir("vft-absent-");
const policies = join(dir.path, "policies");
const net = `${prefix}net`;
const pool = `${prefix}pool`;
const vol = "root.qcow2";
const dom = `${prefix}guest`;

function write(resources: Record<string, unknown>): void {
  mkdirSync(policies, { recursive: true });
  const doc = { apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name: "absent" }, spec: { resources } };
  writeFileSync(join(policies, "absent.yaml"), stringify(doc));
}

async function apply() {
  const r = await runCli(["apply", policies, "--local", "--json"]);
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
}

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("state: absent with only the identity", { timeout: 120_000 }, () => {
  it("creates a network, pool, volume and guest from a full policy", async () => {
    write({
      networks: [{ name: net, mode: "isolated" }],
      pools: [{ name: pool, path: join(dir.path, "pool") }],
      volumes: [{ name: vol, pool, capacity: "16MiB" }],
      domains: [{ name: dom, vcpus: 1, memory: "64MiB", disks: [{ volume: `${pool}/${vol}` }], state: "shutoff" }],
    });
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.summary).toMatchObject({ changed: 4, failed: 0 });
  });

  it("removes them from a policy that names them only", async () => {
    write({
      networks: [{ name: net, state: "absent" }],
      pools: [{ name: pool, state: "absent" }],
      volumes: [{ name: vol, pool, state: "absent" }],
      domains: [{ name: dom, state: "absent" }],
    });
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.summary).toMatchObject({ changed: 4, failed: 0, blocked: 0 });
    for (const [cmd, name] of [
      ["dominfo", dom],
      ["pool-info", pool],
      ["net-info", net],
    ])
      expect((await virshResult(cmd!, name!)).code, `${cmd} ${name}`).not.toBe(0);
    const again = await apply();
    expect(again.json.summary).toMatchObject({ ok: 4, changed: 0 });
  });
});
