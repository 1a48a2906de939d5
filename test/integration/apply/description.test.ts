import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh } from "../../harness/virsh.js";

// The domain's `description` (libvirt's <description>) through `virtfleet apply --local`, a
// real process against the real libvirtd, on a running guest; verified with `virsh desc`.
const prefix = testPrefix();
const dir = tempDir("vft-desc-");
const policies = join(dir.path, "policies");
const guest = `${prefix}desc`;

function writePolicy(description?: string): void {
  const domain = {
    name: guest,
    vcpus: 1,
    memory: "64MiB",
    state: "running",
    ...(description === undefined ? {} : { description }),
  };
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "desc" },
    spec: { resources: { domains: [domain] } },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "desc.yaml"), stringify(doc));
}

async function apply(...extra: string[]) {
  const r = await runCli(["apply", policies, "--local", "--json", "--shutdown-timeout", "2s", ...extra]);
  const domain = JSON.parse(r.stdout).resources.find((x: { kind: string }) => x.kind === "domain");
  return { code: r.code, domain };
}

const desc = async (...flags: string[]) => (await virsh("desc", guest, ...flags)).trim();

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("a domain's description", () => {
  it("is written when the guest is defined", async () => {
    writePolicy("primary database <eu-west> & friends");
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.outcome).toBe("changed");
    expect(await virsh("domstate", guest)).toMatch(/running/);
    expect(await desc("--config")).toBe("primary database <eu-west> & friends");
  });

  it("a changed description is applied live to the running guest: no restart pending", async () => {
    writePolicy("replica");
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.domain.changes).toEqual([
      { field: "description", from: "primary database <eu-west> & friends", to: "replica", disruption: "live" },
    ]);
    expect(r.domain.pendingRestart).toBeFalsy();
    expect(await desc("--live")).toBe("replica");
    expect(await desc("--config")).toBe("replica");
    expect((await apply()).domain.outcome).toBe("ok");
  });

  it("an out-of-band `virsh desc` is drift, reported by a dry-run and repaired by apply", async () => {
    await virsh("desc", guest, "--config", "--new-desc", "edited by hand");
    const dry = await apply("--dry-run");
    expect(dry.code).toBe(3);
    expect(dry.domain.changes).toEqual([
      { field: "description", from: "edited by hand", to: "replica", disruption: "live" },
    ]);
    expect(await desc("--config")).toBe("edited by hand");
    expect((await apply()).code).toBe(0);
    expect(await desc("--config")).toBe("replica");
  });

  it("a policy without description leaves the guest's own alone, through a redefinition too", async () => {
    await virsh("desc", guest, "--config", "--new-desc", "the operator's note");
    writePolicy();
    expect((await apply()).domain.outcome).toBe("ok");
    await virsh("setmaxmem", guest, "131072", "--config");
    const r = await apply();
    expect(r.domain.changes.map((c: { field: string }) => c.field)).toEqual(["memory"]);
    expect(await desc("--config")).toBe("the operator's note");
  });
});
