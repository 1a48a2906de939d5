/**
 * Cloud-init seeds against the real libvirtd: a dir pool, a tiny qcow2 disk and a running
 * guest with cloudInit, converged by the engine from a hand-built resolved policy; checked
 * with virsh and xorriso as independent oracles. Every object is named `vft-ci-<random>…`
 * and removed in afterAll.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { silentLogger, type CloudInitSpec, type DomainSpec, type ResolvedPolicy } from "../../../common/index.js";
import { converge, DEFAULT_ENGINE_OPTIONS, type EngineReport } from "../../../engine/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { detectDomainEnv, renderSeed, resourcesFromPolicies, type DomainHostEnv } from "../../../kinds/index.js";
import { removePool, virsh, virshResult, volumeNames } from "../../harness/virsh.js";
import { failures, seedPolicy } from "./seed-policy.js";

const run = promisify(execFile);
const prefix = `vft-ci-${randomBytes(3).toString("hex")}`;
const POOL = prefix;
const DOMAIN = `${prefix}-g1`;
const DISK = `${DOMAIN}.qcow2`;
const SEED = `${DOMAIN}-cidata.iso`;
const KEY_1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx3bWqHbRkbWQ7a2ZqLr1lR8Lg1xq3q0yQZ2Yb0n7Xk ops@one";
const KEY_2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0o9Gx2u5JtV8bqkq3q2JrmS9kC0GdD8nHc4oXv1Zy9 ops@two";

let hv: Hypervisor;
let env: DomainHostEnv;
let dir: string;
let poolPath: string;

function cloudInit(key: string): CloudInitSpec {
  return {
    hostname: "ci-guest",
    users: [
      {
        name: "ops",
        groups: ["adm"],
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        passwordHash: "$6$saltsalt$0123456789abcdefABCDEF./",
        sshAuthorizedKeys: [key],
      },
    ],
    packages: ["curl"],
    packageUpdate: true,
  };
}

function policy(
  o: { key?: string; domain?: DomainSpec["state"]; storage?: "present" | "absent" } = {},
): ResolvedPolicy {
  return seedPolicy({
    policy: "ci-test",
    pool: POOL,
    poolPath,
    disk: DISK,
    domain: DOMAIN,
    cloudInit: cloudInit(o.key ?? KEY_1),
    domainState: o.domain ?? "running",
    storage: o.storage,
  });
}

async function apply(p: ResolvedPolicy, applyChanges = true): Promise<EngineReport> {
  const resources = resourcesFromPolicies([p], {
    ctx: { hv, log: silentLogger(), shutdownTimeoutMs: 5_000 },
    domainEnv: env,
  });
  return converge(resources, { ...DEFAULT_ENGINE_OPTIONS, apply: applyChanges });
}

const outcomes = (r: EngineReport) => Object.fromEntries(r.resources.map((x) => [`${x.kind}/${x.name}`, x.outcome]));
const seedPath = () => join(poolPath, SEED);

async function xorrisoExtract(iso: string, name: string): Promise<string> {
  const out = join(dir, `${name}-${randomBytes(4).toString("hex")}`);
  await run("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", `/${name}`, out]);
  return readFile(out, "utf8");
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  env = await detectDomainEnv();
  dir = await mkdtemp(`/tmp/${prefix}-`);
  await chmod(dir, 0o755); // QEMU (libvirt-qemu) must reach the pool below it
  poolPath = join(dir, "pool");
});

afterAll(async () => {
  await virshResult("destroy", DOMAIN);
  await virshResult("undefine", DOMAIN, "--nvram");
  await removePool(POOL);
  await hv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  expect((await virsh("list", "--all", "--name")).includes(prefix)).toBe(false);
  expect((await virsh("pool-list", "--all", "--name")).includes(prefix)).toBe(false);
});

describe("cloud-init seed", () => {
  test("converging from nothing builds the seed and attaches it to the running guest as a cdrom", async () => {
    const report = await apply(policy());
    expect(failures(report)).toEqual([]);
    expect(outcomes(report)).toEqual({
      [`pool/${POOL}`]: "changed",
      [`volume/${POOL}/${DISK}`]: "changed",
      [`volume/${POOL}/${SEED}`]: "changed",
      [`domain/${DOMAIN}`]: "changed",
    });
    expect((await virsh("domstate", DOMAIN)).trim()).toBe("running");
    expect(await volumeNames(POOL)).toContain(SEED);
    const blk = await virsh("domblklist", DOMAIN, "--details");
    expect(blk).toMatch(new RegExp(`^\\s*volume\\s+cdrom\\s+sd\\w+\\s+${SEED.replace(/[.]/g, "\\.")}$`, "m"));
    const xml = await virsh("dumpxml", DOMAIN, "--inactive");
    expect(xml).toContain(`<source pool='${POOL}' volume='${SEED}'/>`);

    const { stdout: listing } = await run("xorriso", ["-indev", seedPath(), "-ls", "/"]);
    expect(listing).toContain("'user-data'");
    expect(listing).toContain("'meta-data'");
    const userData = await xorrisoExtract(seedPath(), "user-data");
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    expect(userData).toContain(`name: "ops"`);
    expect(userData).toContain(KEY_1);
    const metaData = await xorrisoExtract(seedPath(), "meta-data");
    expect(metaData).toContain(`instance-id: "${renderSeed(DOMAIN, cloudInit(KEY_1)).instanceId}"`);
    expect(metaData).toContain(`local-hostname: "ci-guest"`);
  });

  test("a second apply changes nothing and leaves the seed file alone", async () => {
    const before = await stat(seedPath());
    const report = await apply(policy());
    expect(failures(report)).toEqual([]);
    expect(report.summary.changed).toBe(0);
    expect(report.summary.ok).toBe(4);
    expect((await stat(seedPath())).ino).toBe(before.ino);
  });

  test("a new SSH key: dry-run reports the seed and the domain; apply rebuilds exactly the seed and marks the guest pending restart", async () => {
    const oldId = renderSeed(DOMAIN, cloudInit(KEY_1)).instanceId;
    const newId = renderSeed(DOMAIN, cloudInit(KEY_2)).instanceId;
    expect(newId).not.toBe(oldId);

    const before = await stat(seedPath());
    const dry = await apply(policy({ key: KEY_2 }), false);
    expect(failures(dry)).toEqual([]);
    expect(
      Object.entries(outcomes(dry))
        .filter(([, o]) => o !== "ok")
        .map(([id]) => id)
        .sort(),
    ).toEqual([`domain/${DOMAIN}`, `volume/${POOL}/${SEED}`]);
    expect((await stat(seedPath())).ino).toBe(before.ino);

    const report = await apply(policy({ key: KEY_2 }));
    expect(failures(report)).toEqual([]);
    const changed = report.resources.filter((r) => r.outcome === "changed");
    expect(changed.map((r) => `${r.kind}/${r.name}`).sort()).toEqual([`domain/${DOMAIN}`, `volume/${POOL}/${SEED}`]);
    const seed = changed.find((r) => r.name === `${POOL}/${SEED}`)!;
    expect(seed.changes).toEqual([
      { field: "cloudInit.instanceId", from: oldId, to: newId, disruption: "live" },
      { field: "cloudInit.users[ops].sshAuthorizedKeys", from: [KEY_1], to: [KEY_2], disruption: "live" },
    ]);
    const dom = changed.find((r) => r.kind === "domain")!;
    expect(dom.pendingRestart).toBe(true);
    expect((await virsh("domstate", DOMAIN)).trim()).toBe("running");

    const userData = await xorrisoExtract(seedPath(), "user-data");
    expect(userData).toContain(KEY_2);
    expect(userData).not.toContain(KEY_1);
    expect(await xorrisoExtract(seedPath(), "meta-data")).toContain(newId);
    expect((await readFile(seedPath())).length).toBe((await stat(seedPath())).size);

    const again = await apply(policy({ key: KEY_2 }));
    expect(failures(again)).toEqual([]);
    expect(again.summary.changed).toBe(0);
  });

  test("a seed deleted or replaced out of band is rebuilt", async () => {
    await run("cp", ["/dev/null", seedPath()]);
    const dry = await apply(policy({ key: KEY_2 }), false);
    const seedReport = dry.resources.find((r) => r.name === `${POOL}/${SEED}`)!;
    expect(seedReport.outcome).toBe("drift");
    expect(seedReport.changes[0]).toMatchObject({ field: "cloudInit.instanceId", from: "unknown" });
    const report = await apply(policy({ key: KEY_2 }));
    expect(failures(report)).toEqual([]);
    expect(outcomes(report)[`volume/${POOL}/${SEED}`]).toBe("changed");
    expect(await xorrisoExtract(seedPath(), "user-data")).toContain(KEY_2);
    expect((await apply(policy({ key: KEY_2 }))).summary.changed).toBe(0);
  });

  test("setting the domain absent removes the guest and then its seed; removing the storage too leaves nothing", async () => {
    const report = await apply(policy({ key: KEY_2, domain: "absent" }));
    expect(failures(report)).toEqual([]);
    expect(outcomes(report)).toMatchObject({ [`domain/${DOMAIN}`]: "changed", [`volume/${POOL}/${SEED}`]: "changed" });
    expect((await virshResult("dominfo", DOMAIN)).code).not.toBe(0);
    expect(await volumeNames(POOL)).toEqual([DISK]);
    await expect(stat(seedPath())).rejects.toMatchObject({ code: "ENOENT" });
    expect((await apply(policy({ key: KEY_2, domain: "absent" }))).summary.changed).toBe(0);

    const gone = await apply(policy({ key: KEY_2, domain: "absent", storage: "absent" }));
    expect(failures(gone)).toEqual([]);
    expect(outcomes(gone)).toMatchObject({ [`pool/${POOL}`]: "changed", [`volume/${POOL}/${DISK}`]: "changed" });
    expect((await virshResult("pool-info", POOL)).code).not.toBe(0);
  });
});
