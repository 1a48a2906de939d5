/**
 * The issue-23 cloud-init fields through the agent's apply path: `virtfleet apply --local
 * --json` as a real process against the real libvirtd (npm run build first). The seed ISO is
 * read back with the repo's ISO 9660 reader and checked file by file; a contentFile's bytes
 * reach the seed but never the output; a changed contentFile gives a new instance-id; a
 * group-readable contentFile fails in the plan stage naming the host and the field, with
 * nothing applied; dropping `cloudInit` removes the seed volume and its cdrom from the guest's
 * definition. The guest stays shut off (nothing boots here: the real-boot tests check
 * cloud-init inside a guest). Every object is named with a unique `vft-` prefix and removed.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { fileReader, readIsoRootFile, readIsoSummary } from "../../../kinds/cloud-init-seed/iso9660.js";
import { applyLocalJson, outcome } from "../../harness/apply-local.js";
import { assertBuilt, tempDir } from "../../harness/processes.js";
import { seedGuestDocument } from "../../harness/specs.js";
import { cleanupPrefix, testPrefix, virsh, volumeNames } from "../../harness/virsh.js";

const prefix = testPrefix();
const dir = tempDir("vft-ci-apply-");
chmodSync(dir.path, 0o755);
const policies = join(dir.path, "policies");
const poolPath = join(dir.path, "pool");
const secretFile = join(dir.path, "app-token");
const pool = `${prefix}pool`;
const guest = `${prefix}g1`;
const seedName = `${guest}-cidata.iso`;
const HOST = `${prefix}host`;

const TOKEN_1 = "tok-Ka9-first-secret\n";
const TOKEN_2 = "tok-Mx3-second-secret\n";
const CONTENT = "motd-Qp7-inline-secret\n";
const RUNCMD = "echo Wz5-runcmd-secret > /run/x";
const SECRETS = ["Ka9-first", "Mx3-second", "Qp7-inline", "Wz5-runcmd", "Vd8-vendor"];
const b64 = (s: string) => Buffer.from(s).toString("base64");

function cloudInit() {
  return {
    hostname: "ci-guest",
    users: [
      {
        name: "ops",
        sshAuthorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx3bWqHbRkbWQ7a2ZqLr1lR8Lg1xq3q0yQZ2Yb0n7Xk ops@lab"],
      },
    ],
    packages: ["curl"],
    writeFiles: [
      { path: "/etc/motd", content: CONTENT, permissions: "0644", owner: "root:root" },
      { path: "/etc/app/token", contentFile: secretFile, permissions: "0600" },
    ],
    runcmd: [RUNCMD, ["systemctl", "enable", "--now", "ssh"]],
    bootcmd: [["mkdir", "-p", "/run/app"]],
    timezone: "Europe/Berlin",
    locale: "en_US.UTF-8",
    sshPwauth: false,
    vendorData: { runcmd: ["echo Vd8-vendor-secret"] },
    network: {
      ethernets: {
        eth0: {
          match: { macaddress: "52:54:00:00:00:10" },
          "set-name": "eth0",
          addresses: ["192.168.110.10/24"],
          routes: [{ to: "default", via: "192.168.110.1" }],
          nameservers: { addresses: ["192.168.110.1"], search: ["lab.example"] },
        },
      },
    },
  };
}

function writePolicy(o: { cloudInit: boolean }): void {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "ci-fields" },
    spec: {
      resources: {
        pools: [{ name: pool, type: "dir", path: poolPath, autostart: false, state: "active" }],
        volumes: [{ name: `${guest}.qcow2`, pool, format: "qcow2", capacity: "16MiB" }],
        domains: [seedGuestDocument(pool, guest, o.cloudInit ? cloudInit() : undefined)],
      },
    },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "ci.yaml"), stringify(doc));
}

const apply = (...extra: string[]) => applyLocalJson(policies, ["--name", HOST, ...extra]);

function expectNoSecret(text: string): void {
  for (const s of [...SECRETS, b64(TOKEN_1), b64(TOKEN_2), b64(CONTENT)]) expect(text).not.toContain(s);
}

async function seedFiles(): Promise<Record<string, string | null>> {
  const fh = await open(join(poolPath, seedName), "r");
  try {
    const read = fileReader(fh);
    const out: Record<string, string | null> = { volumeId: (await readIsoSummary(read))?.volumeId ?? null };
    for (const name of ["user-data", "meta-data", "network-config", "vendor-data"])
      out[name] = (await readIsoRootFile(read, name, 1 << 20))?.toString("utf8") ?? null;
    return out;
  } finally {
    await fh.close();
  }
}

const load = (t: string | null) => parse(t ?? "", { version: "1.1" });

beforeAll(() => {
  assertBuilt();
  writeFileSync(secretFile, TOKEN_1, { mode: 0o600 });
});

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("cloud-init fields through virtfleet apply --local", () => {
  let firstId = "";

  it("builds a seed holding user-data, meta-data, network-config and vendor-data; no secret in the output", async () => {
    writePolicy({ cloudInit: true });
    const r = await apply();
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expectNoSecret(r.stdout + r.stderr);
    const files = await seedFiles();
    expect(files.volumeId).toBe("cidata");
    const user = load(files["user-data"]);
    expect(user.write_files).toEqual([
      { path: "/etc/motd", content: CONTENT, owner: "root:root", permissions: "0644" },
      { path: "/etc/app/token", content: b64(TOKEN_1), encoding: "b64", permissions: "0600" },
    ]);
    expect(user.runcmd).toEqual([RUNCMD, ["systemctl", "enable", "--now", "ssh"]]);
    expect(user.bootcmd).toEqual([["mkdir", "-p", "/run/app"]]);
    expect(user).toMatchObject({ timezone: "Europe/Berlin", locale: "en_US.UTF-8", ssh_pwauth: false });
    expect(load(files["network-config"])).toEqual({
      version: 2,
      ethernets: {
        eth0: {
          match: { macaddress: "52:54:00:00:00:10" },
          "set-name": "eth0",
          addresses: ["192.168.110.10/24"],
          routes: [{ to: "0.0.0.0/0", via: "192.168.110.1" }],
          nameservers: { addresses: ["192.168.110.1"], search: ["lab.example"] },
        },
      },
    });
    expect(files["vendor-data"]).toBe('#cloud-config\nruncmd:\n  - "echo Vd8-vendor-secret"\n');
    const meta = load(files["meta-data"]);
    expect(meta["local-hostname"]).toBe("ci-guest");
    expect(meta["instance-id"]).toMatch(/^vf-[0-9a-f]{16}$/);
    firstId = meta["instance-id"];
    const xml = await virsh("dumpxml", "--inactive", guest);
    // the seed is the guest's cdrom (a pool volume: `<source pool=… volume=…>`)
    expect(xml).toMatch(/<disk type='volume' device='cdrom'>/);
    expect(xml).toContain(`<source pool='${pool}' volume='${seedName}'/>`);
  });

  it("a second apply changes nothing", async () => {
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.json.summary.changed).toBe(0);
    expect(r.json.summary.drift ?? 0).toBe(0);
  });

  it("a changed contentFile gives a new instance-id; the change names the field, never the bytes", async () => {
    writeFileSync(secretFile, TOKEN_2, { mode: 0o600 });
    const dry = await apply("--dry-run");
    expect(dry.code).toBe(3);
    expectNoSecret(dry.stdout + dry.stderr);
    const seed = outcome(dry.json, "volume", `${pool}/${seedName}`);
    expect(seed.changes[0]).toMatchObject({ field: "cloudInit.instanceId", from: firstId });
    expect(seed.changes.map((c: any) => c.field)).toContain("cloudInit.writeFiles[/etc/app/token].content");
    expect(load((await seedFiles())["meta-data"])["instance-id"]).toBe(firstId);
    const r = await apply();
    expect(r.code).toBe(0);
    expectNoSecret(r.stdout + r.stderr);
    const files = await seedFiles();
    expect(load(files["meta-data"])["instance-id"]).not.toBe(firstId);
    expect(load(files["user-data"]).write_files[1].content).toBe(b64(TOKEN_2));
    expect((await apply()).json.summary.changed).toBe(0);
  });

  it("a contentFile readable by group and others fails in the plan stage naming the host and the field; nothing applied", async () => {
    const before = readFileSync(join(poolPath, seedName));
    chmodSync(secretFile, 0o644);
    writeFileSync(secretFile, "tok-Ka9-first-secret-changed\n");
    try {
      const r = await apply();
      expect(r.code).not.toBe(0);
      expectNoSecret(r.stdout + r.stderr);
      const seed = outcome(r.json, "volume", `${pool}/${seedName}`);
      expect(seed.outcome).toBe("failed");
      expect(seed.error).toMatch(
        new RegExp(
          `host ${HOST}: domain ${guest} cloudInit\\.writeFiles\\[1\\]\\.contentFile: file ${secretFile} is accessible by group and others \\(mode 0644\\)`,
        ),
      );
      expect(outcome(r.json, "domain", guest).outcome).toBe("skipped");
      expect(readFileSync(join(poolPath, seedName)).equals(before)).toBe(true);
    } finally {
      chmodSync(secretFile, 0o600);
      writeFileSync(secretFile, TOKEN_2);
    }
  });

  it("dropping cloudInit removes the seed volume and its cdrom from the definition; a second apply changes nothing", async () => {
    writePolicy({ cloudInit: false });
    const dry = await apply("--dry-run");
    expect(dry.code).toBe(3);
    const planned = outcome(dry.json, "domain", guest).changes;
    expect(planned).toContainEqual({
      field: "cloudInit.seed",
      from: `${pool}/${seedName}`,
      to: null,
      disruption: "live",
    });
    expect(await volumeNames(pool)).toContain(seedName);
    const r = await apply();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const d = outcome(r.json, "domain", guest);
    expect(d.changes.map((c: any) => c.field)).toEqual(expect.arrayContaining(["cloudInit.seed"]));
    expect(d.changes.some((c: any) => /^cdroms\[/.test(c.field) && c.to === null)).toBe(true);
    expect(await volumeNames(pool)).not.toContain(seedName);
    const xml = await virsh("dumpxml", "--inactive", guest);
    expect(xml).not.toContain("cidata");
    expect(xml).not.toMatch(/device='cdrom'/);
    const again = await apply();
    expect(again.code).toBe(0);
    expect(again.json.summary.changed).toBe(0);
    expect(outcome(again.json, "domain", guest).changes).toEqual([]);
  });
});
