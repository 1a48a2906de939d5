/**
 * Pool credentials against the real libvirtd: an iscsi / iscsi-direct pool's CHAP password and
 * an rbd pool's Ceph key come from root-only files into private libvirt secret objects the
 * agent manages (usage iscsi / ceph), referred to by usage from the pool XML. The pools are
 * defined inactive (this machine has no iSCSI target and no Ceph cluster to start them on).
 * A group- or world-readable file, a symlink or a missing file is an error naming the host
 * and the path, in the plan and in apply, with nothing applied. The secret content never
 * appears in reports, errors or logs (at debug level).
 */
import { randomBytes } from "node:crypto";
import { symlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentStore } from "../../../agent/state/index.js";
import type { PoolSpec } from "../../../common/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { captureLog } from "../../harness/log-capture.js";
import { secretFile, tempDir } from "../../harness/processes.js";
import { virsh, virshResult } from "../../harness/virsh.js";
import { only, poolExists, removePools, runPools } from "./pool-run.js";

const hex = randomBytes(3).toString("hex");
const prefix = `vft-pl-${hex}-`;
const dir = tempDir("vft-pl-");
const pools: string[] = [];
let hv: Hypervisor;
let store: AgentStore;

// what the files hold: searched for in every output below
const chap = `chap-${randomBytes(9).toString("hex")}`;
const chap2 = `chap2-${randomBytes(9).toString("hex")}`;
const cephKey = randomBytes(16);
const SECRETS = [chap, chap2, cephKey.toString("base64"), cephKey.toString("hex")];

const { log: logs, text: logText } = captureLog("pool-secrets-test");
const outputs: string[] = [];

async function runLogged(specs: PoolSpec[], dryRun = false) {
  const reports = await runPools(hv, store, specs, { dryRun, log: logs });
  outputs.push(JSON.stringify(reports));
  return reports;
}

function spec(name: string, over: Partial<PoolSpec>): PoolSpec {
  if (!pools.includes(`${prefix}${name}`)) pools.push(`${prefix}${name}`);
  return { name: `${prefix}${name}`, type: "dir", path: null, autostart: false, state: "inactive", ...over };
}

const usage = (pool: string) => `virtfleet-pool-${pool}`;

/** The secret libvirt has for `pool`: [uuid, usage column] from `virsh secret-list`, or null. */
async function secretOf(pool: string): Promise<{ uuid: string; xml: string } | null> {
  for (const line of (await virsh("secret-list")).split("\n")) {
    const m = /^\s*([0-9a-f-]{36})\s+(\S+)\s+(\S+)/.exec(line);
    if (m && m[3] === usage(pool)) return { uuid: m[1]!, xml: await virsh("secret-dumpxml", m[1]!) };
  }
  return null;
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  store = AgentStore.openFile(":memory:");
});

afterAll(async () => {
  for (const p of pools) {
    const s = await secretOf(p);
    if (s) await virshResult("secret-undefine", s.uuid);
  }
  await removePools(pools);
  await hv?.close();
  store?.close();
  dir.cleanup();
});

describe("iSCSI CHAP secret from a file", () => {
  let file = "";
  const isc = () =>
    spec("isc", {
      type: "iscsi",
      path: "/dev/disk/by-path",
      source: {
        host: "san1.lab",
        port: 3260,
        target: `iqn.2026-01.lab:${prefix}guests`,
        initiator: "iqn.2026-01.lab:kvm01",
        chap: { username: "kvm01", secretFile: file },
      },
    });

  beforeAll(() => {
    file = secretFile(dir.path, "chap-kvm01", `${chap}\n`);
  });

  it("creates a private, persistent libvirt secret and a pool that refers to it by usage", async () => {
    const r = only(await runLogged([isc()]), `${prefix}isc`);
    expect(r.outcome, r.error).toBe("changed");
    expect(r.changes).toContainEqual({
      field: "source.chap.secret",
      from: null,
      to: `(content of ${file})`,
      disruption: "restart",
    });
    const s = await secretOf(`${prefix}isc`);
    expect(s).not.toBeNull();
    expect(s!.xml).toMatch(/ephemeral='no'/);
    expect(s!.xml).toMatch(/private='yes'/);
    expect(s!.xml).toContain(`<target>${usage(`${prefix}isc`)}</target>`);
    expect(s!.xml).toMatch(/virtfleet-hmac-sha256:[0-9a-f]{32}:[0-9a-f]{64}/);
    // private: libvirt refuses to hand the value out (and virtfleet has no call for it)
    expect((await virshResult("secret-get-value", s!.uuid)).code).not.toBe(0);
    const pool = await virsh("pool-dumpxml", "--inactive", `${prefix}isc`);
    expect(pool).toMatch(
      new RegExp(`<auth type='chap' username='kvm01'>\\s*<secret usage='${usage(`${prefix}isc`)}'/>`),
    );
  });

  it("a second run is in sync without reading the value back", async () => {
    expect(only(await runLogged([isc()]), `${prefix}isc`)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("new content in the file is drift (restart class), set by apply, then in sync", async () => {
    const before = (await secretOf(`${prefix}isc`))!.uuid;
    secretFile(dir.path, "chap-kvm01", chap2);
    const plan = only(await runLogged([isc()], true), `${prefix}isc`);
    expect(plan).toMatchObject({
      outcome: "drift",
      changes: [
        { field: "source.chap.secret", from: "(other content)", to: `(content of ${file})`, disruption: "restart" },
      ],
    });
    expect(only(await runLogged([isc()]), `${prefix}isc`).outcome).toBe("changed");
    expect((await secretOf(`${prefix}isc`))!.uuid).toBe(before);
    expect(only(await runLogged([isc()]), `${prefix}isc`)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("a secret undefined behind the agent's back is drift at the pool's next check, and is made again", async () => {
    await virsh("secret-undefine", (await secretOf(`${prefix}isc`))!.uuid);
    const plan = only(await runLogged([isc()], true), `${prefix}isc`);
    expect(plan).toMatchObject({ outcome: "drift", changes: [{ field: "source.chap.secret", from: null }] });
    expect(only(await runLogged([isc()]), `${prefix}isc`).outcome).toBe("changed");
    expect(await secretOf(`${prefix}isc`)).not.toBeNull();
    expect(only(await runLogged([isc()]), `${prefix}isc`)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("iscsi-direct takes the same CHAP secret", async () => {
    const f = secretFile(dir.path, "chap-direct", chap);
    const direct = spec("iscd", {
      type: "iscsi-direct",
      source: {
        host: "san1.lab",
        port: 3260,
        target: `iqn.2026-01.lab:${prefix}direct`,
        initiator: "iqn.2026-01.lab:kvm01",
        chap: { username: "kvm01", secretFile: f },
      },
    });
    expect(only(await runLogged([direct]), direct.name).outcome).toBe("changed");
    expect(await secretOf(direct.name)).not.toBeNull();
    expect(only(await runLogged([direct]), direct.name)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("state: absent removes the pool and its secret", async () => {
    const gone = { ...isc(), state: "absent" as const };
    expect(only(await runLogged([gone]), `${prefix}isc`).outcome).toBe("changed");
    expect(await poolExists(`${prefix}isc`)).toBe(false);
    expect(await secretOf(`${prefix}isc`)).toBeNull();
  });
});

describe("rollback of the revision that created a pool with credentials", () => {
  it("removes the pool and its libvirt secret", async () => {
    const f = secretFile(dir.path, "chap-rb", chap);
    const rb = spec("rb", {
      type: "iscsi",
      path: "/dev/disk/by-path",
      source: { host: "san3.lab", target: `iqn.2026-01.lab:${prefix}rb`, chap: { username: "u", secretFile: f } },
    });
    const created = await runPools(hv, store, [rb], { policy: "rb", revision: "r7" });
    expect(only(created, rb.name).outcome).toBe("changed");
    expect(await secretOf(rb.name)).not.toBeNull();
    const rolled = await runPools(hv, store, [], {
      policy: "rb",
      revision: "r6",
      rolledBack: [{ policy: "rb", revision: "r7" }],
    });
    expect(only(rolled, rb.name).outcome, JSON.stringify(rolled)).toBe("changed");
    expect(await poolExists(rb.name)).toBe(false);
    expect(await secretOf(rb.name)).toBeNull();
  });
});

describe("Ceph key from a file", () => {
  it("is decoded from base64 into a ceph secret; the rbd pool refers to it; in sync on the next run", async () => {
    const f = secretFile(dir.path, "ceph.key", `${cephKey.toString("base64")}\n`, 0o400);
    const rbd = spec("rbd", {
      type: "rbd",
      source: {
        hosts: ["mon1.lab:6789", "mon2.lab"],
        name: `${prefix}rbd`,
        auth: { username: "libvirt", secretFile: f },
      },
    });
    expect(only(await runLogged([rbd]), rbd.name).outcome).toBe("changed");
    const s = await secretOf(rbd.name);
    expect(s!.xml).toContain(`<usage type='ceph'>`);
    expect(await virsh("pool-dumpxml", "--inactive", rbd.name)).toMatch(
      new RegExp(`<auth type='ceph' username='libvirt'>\\s*<secret usage='${usage(rbd.name)}'/>`),
    );
    expect(only(await runLogged([rbd]), rbd.name)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("a file that is not base64 is an error naming the file, not its content", async () => {
    const f = secretFile(dir.path, "ceph-bad.key", `${chap}!`);
    const bad = spec("rbdbad", {
      type: "rbd",
      source: { hosts: ["mon1.lab"], name: `${prefix}bad`, auth: { username: "libvirt", secretFile: f } },
    });
    const r = only(await runLogged([bad], true), bad.name);
    expect(r.outcome).toBe("failed");
    expect(r.error).toContain(`secret file ${f} does not hold a base64 Ceph key`);
  });
});

describe("a secret file the agent must not use", () => {
  const host = hostname();
  const cases: [string, () => string, string][] = [
    [
      "world-readable",
      () => secretFile(dir.path, "chap-644", chap, 0o644),
      "is accessible by group and others (mode 0644)",
    ],
    ["group-readable", () => secretFile(dir.path, "chap-640", chap, 0o640), "is accessible by group (mode 0640)"],
    [
      "a symlink",
      () => {
        const target = secretFile(dir.path, "chap-real", chap);
        const link = join(dir.path, "chap-link");
        symlinkSync(target, link);
        return link;
      },
      "is a symbolic link",
    ],
    ["missing", () => join(dir.path, "no-such-file"), "does not exist"],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: error naming the host and the path, in the plan and in apply; nothing applied`, async () => {
      const file = make();
      const name = `bad${cases.findIndex((c) => c[0] === what)}`;
      const isc = spec(name, {
        type: "iscsi",
        path: "/dev/disk/by-path",
        source: {
          host: "san9.lab",
          target: `iqn.2026-01.lab:${prefix}${name}`,
          chap: { username: "u", secretFile: file },
        },
      });
      for (const dryRun of [true, false]) {
        const r = only(await runLogged([isc], dryRun), isc.name);
        expect(r.outcome).toBe("failed");
        expect(r.error).toContain(`host ${host}: secret file ${file} ${message}`);
        expect(r.error).toContain("nothing was applied");
      }
      expect(await poolExists(isc.name)).toBe(false);
      expect(await secretOf(isc.name)).toBeNull();
    });
  }
});

describe("the secret content never leaves the agent", () => {
  it("is in no report, error or log line (debug level)", () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(logText().length).toBeGreaterThan(0);
    for (const text of [...outputs, logText()]) for (const s of SECRETS) expect(text).not.toContain(s);
  });
});
