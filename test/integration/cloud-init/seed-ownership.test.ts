/**
 * The seed's ownership record and its removal when `cloudInit` is dropped, against the real
 * libvirtd, through the engine with an ownership ledger (as the agent runs it): the seed is
 * recorded when written (identity: its path), forgotten when removed; dropping `cloudInit`
 * detaches the cdrom and deletes the seed; a file of the seed's name virtfleet did not make is
 * left alone; rolling back the revision that wrote a seed removes it. The guest stays shut off.
 * Every object is named `vft-…-` and removed in afterAll.
 */
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { silentLogger, type ResolvedPolicy } from "../../../common/index.js";
import { converge, DEFAULT_ENGINE_OPTIONS, resourceId, type EngineReport } from "../../../engine/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import {
  detectDomainEnv,
  ownershipScope,
  resourcesFromPolicies,
  rollbackResources,
  type DomainHostEnv,
  type OwnershipLedger,
  type OwnershipRecord,
} from "../../../kinds/index.js";
import { cleanupPrefix, testPrefix, virsh, volumeNames } from "../../harness/virsh.js";
import { cloudInit } from "../../unit/cloud-init/specs.js";
import { failures, seedPolicy } from "./seed-policy.js";

const prefix = testPrefix();
const POOL = `${prefix}pool`;
const DOMAIN = `${prefix}g1`;
const DISK = `${DOMAIN}.qcow2`;
const SEED = `${DOMAIN}-cidata.iso`;
const POLICY = "ci-own";

let hv: Hypervisor;
let env: DomainHostEnv;
let dir: string;
let poolPath: string;

class MemoryLedger implements OwnershipLedger {
  readonly records = new Map<string, OwnershipRecord>();
  get(kind: string, name: string) {
    return this.records.get(`${kind}/${name}`);
  }
  put(r: OwnershipRecord) {
    this.records.set(`${r.kind}/${r.name}`, r);
  }
  forget(kind: string, name: string) {
    this.records.delete(`${kind}/${name}`);
  }
  list() {
    return [...this.records.values()];
  }
}
const ledger = new MemoryLedger();

function policy(withCloudInit: boolean): ResolvedPolicy {
  return seedPolicy({
    policy: POLICY,
    pool: POOL,
    poolPath,
    disk: DISK,
    domain: DOMAIN,
    cloudInit: withCloudInit ? cloudInit({ timezone: "UTC", runcmd: ["true"] }) : null,
    domainState: "shutoff",
  });
}

const ctx = (revision: string, rolledBack: { policy: string; revision: string }[] = []) => ({
  hv,
  log: silentLogger(),
  shutdownTimeoutMs: 5_000,
  ownership: ownershipScope(ledger, [{ name: POLICY, revision }], rolledBack),
});

async function apply(withCloudInit: boolean, revision: string): Promise<EngineReport> {
  const resources = resourcesFromPolicies([policy(withCloudInit)], { ctx: ctx(revision), domainEnv: env });
  return converge(resources, { ...DEFAULT_ENGINE_OPTIONS, apply: true });
}

const report = (r: EngineReport, id: string) => r.resources.find((x) => `${x.kind}/${x.name}` === id)!;

beforeAll(async () => {
  hv = await Hypervisor.open();
  env = await detectDomainEnv();
  dir = await mkdtemp(`/tmp/${prefix}`);
  await chmod(dir, 0o755);
  poolPath = join(dir, "pool");
});

afterAll(async () => {
  await cleanupPrefix(prefix);
  await hv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the cloud-init seed's ownership record", () => {
  test("a written seed is recorded as a volume virtfleet created, identity its path", async () => {
    const r = await apply(true, "r1");
    expect(failures(r)).toEqual([]);
    expect(ledger.get("volume", `${POOL}/${SEED}`)).toMatchObject({
      kind: "volume",
      name: `${POOL}/${SEED}`,
      identity: join(poolPath, SEED),
      policy: POLICY,
      revision: "r1",
      adopted: false,
    });
    expect((await apply(true, "r1")).summary.changed).toBe(0);
  });

  test("dropping cloudInit detaches the cdrom, then deletes the seed and forgets its record", async () => {
    const r = await apply(false, "r2");
    expect(failures(r)).toEqual([]);
    const dom = report(r, `domain/${DOMAIN}`);
    expect(dom.changes).toContainEqual({
      field: "cloudInit.seed",
      from: `${POOL}/${SEED}`,
      to: null,
      disruption: "live",
    });
    expect(await volumeNames(POOL)).not.toContain(SEED);
    expect(ledger.get("volume", `${POOL}/${SEED}`)).toBeUndefined();
    expect(await virsh("dumpxml", "--inactive", DOMAIN)).not.toContain("cidata");
    const again = await apply(false, "r2");
    expect(again.summary.changed).toBe(0);
  });

  test("a file of the seed's name that virtfleet did not make is left in place, with a note", async () => {
    const path = join(poolPath, SEED);
    await writeFile(path, "not a seed: someone's own file\n");
    const r = await apply(false, "r2");
    expect(failures(r)).toEqual([]);
    const dom = report(r, `domain/${DOMAIN}`);
    expect(dom.changes).toEqual([]);
    expect(dom.notes).toContain(`${POOL}/${SEED} is not a cloud-init seed virtfleet made, so it is left in place`);
    expect((await stat(path)).size).toBeGreaterThan(0);
    await rm(path);
  });

  test("rolling back the revision that wrote the seed removes it (the guest stays, declared)", async () => {
    expect(failures(await apply(true, "r3"))).toEqual([]);
    expect(ledger.get("volume", `${POOL}/${SEED}`)?.revision).toBe("r3");
    // the bundle of the rollback declares the guest without cloudInit (revision r2 again)
    const declared = new Set([
      resourceId("pool", POOL),
      resourceId("volume", `${POOL}/${DISK}`),
      resourceId("domain", DOMAIN),
    ]);
    const scope = ownershipScope(ledger, [{ name: POLICY, revision: "r2" }], [{ policy: POLICY, revision: "r3" }]);
    const rollback = rollbackResources(scope, declared, { ...ctx("r2"), ownership: scope });
    expect(rollback.map((x) => `${x.kind}/${x.name}`)).toEqual([`volume/${POOL}/${SEED}`]);
    const domain = resourcesFromPolicies([policy(false)], { ctx: { ...ctx("r2"), ownership: scope }, domainEnv: env });
    const r = await converge([...domain, ...rollback], { ...DEFAULT_ENGINE_OPTIONS, apply: true });
    expect(failures(r)).toEqual([]);
    expect(await volumeNames(POOL)).not.toContain(SEED);
    expect(ledger.get("volume", `${POOL}/${SEED}`)).toBeUndefined();
    expect(await virsh("dumpxml", "--inactive", DOMAIN)).not.toContain("cidata");
  });
});
