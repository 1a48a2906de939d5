import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSecretFile, SecretFileError } from "../../../kinds/libvirt-secret/index.js";
import { checkPoolSpec } from "../../../kinds/pool/check.js";
import { poolSecretOf, poolSecretValue } from "../../../kinds/pool/credentials.js";
import { resolvePool } from "../../../kinds/pool/resolve.js";
import type { PoolSpec } from "../../../kinds/pool/spec.js";
import { poolTargets } from "../../../kinds/pool/targets.js";
import { buildPoolXml } from "../../../kinds/pool/xml-build.js";
import { diffPool } from "../../../kinds/pool/xml-diff.js";
import { parsePoolXml } from "../../../kinds/pool/xml-parse.js";
import { specProblems } from "../../../kinds/spec-checker.js";
import { secretFile } from "../../harness/processes.js";

const dir = mkdtempSync(join(tmpdir(), "vft-pl-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolvePool: defaults per type", () => {
  it("fills the type's target path, format and port; keeps only the source fields the type takes", () => {
    expect(resolvePool({ name: "d", type: "disk", source: { device: "/dev/vdb" } })).toEqual({
      name: "d",
      type: "disk",
      path: "/dev",
      source: { device: "/dev/vdb", format: "gpt" },
      autostart: false,
      state: "active",
    });
    expect(resolvePool({ name: "i", type: "iscsi", source: { host: "h", target: "iqn.2026-01.lab:t" } })).toMatchObject(
      {
        path: "/dev/disk/by-path",
        source: { host: "h", target: "iqn.2026-01.lab:t", port: 3260 },
      },
    );
    expect(resolvePool({ name: "r", type: "rbd", source: { hosts: ["m"], name: "p" } }).path).toBeNull();
    expect(resolvePool({ name: "p", path: "/srv/p" })).toEqual({
      name: "p",
      type: "dir",
      path: "/srv/p",
      autostart: false,
      state: "active",
    });
  });
});

describe("checkPoolSpec: a resolved spec that did not come through the loader", () => {
  const problems = (s: Partial<PoolSpec>) =>
    specProblems(
      { name: "p", type: "fs", path: "/srv/p", autostart: false, state: "active", ...s } as PoolSpec,
      checkPoolSpec,
    );
  it("refuses devices outside /dev, unknown formats, fields of other types, a path where none belongs", () => {
    expect(problems({ source: { device: "/etc/passwd" } })).toEqual([
      'source.device: "/etc/passwd" is not a device path: it must be under /dev',
    ]);
    expect(problems({ source: { device: "/dev/vdb", format: "nfs" } })).toEqual(["source.format: not a fs format"]);
    expect(problems({ source: { device: "/dev/vdb", host: "h" } })).toEqual([
      "source.host: a fs pool takes no source.host",
    ]);
    expect(problems({ type: "rbd", path: "/x", source: { hosts: ["m"], name: "r" } })).toEqual([
      "path: a rbd pool has no target path",
    ]);
    expect(problems({ type: "bogus" as never })).toEqual(['type: unknown pool type "bogus"']);
    expect(problems({ source: { device: "/dev/vdb" } })).toEqual([]);
  });
});

describe("diffPool: each changed field with its class", () => {
  const spec: PoolSpec = {
    name: "n",
    type: "netfs",
    path: "/srv/n",
    source: { host: "h1", dir: "/e", format: "nfs" },
    autostart: false,
    state: "active",
  };
  it("in sync with its own XML; source and path are recreate", () => {
    const actual = parsePoolXml(buildPoolXml(spec));
    expect(diffPool(spec, actual)).toEqual([]);
    expect(
      diffPool({ ...spec, path: "/srv/m", source: { ...spec.source, host: "h2", format: "cifs" } }, actual),
    ).toEqual([
      { field: "path", from: "/srv/n", to: "/srv/m", disruption: "recreate" },
      { field: "source.host", from: "h1", to: "h2", disruption: "recreate" },
      { field: "source.format", from: "nfs", to: "cifs", disruption: "recreate" },
    ]);
    expect(diffPool({ ...spec, type: "dir", source: undefined }, actual)).toEqual([
      { field: "type", from: "netfs", to: "dir", disruption: "recreate" },
    ]);
  });

  it("iscsi: initiator and CHAP user are restart; the secret is referred to by usage", () => {
    const isc: PoolSpec = {
      name: "i",
      type: "iscsi",
      path: "/dev/disk/by-path",
      source: { host: "h", port: 3260, target: "iqn.2026-01.lab:t", chap: { username: "u", secretFile: "/etc/s" } },
      autostart: false,
      state: "active",
    };
    const xml = buildPoolXml(isc);
    expect(xml).toContain(`<secret usage="virtfleet-pool-i"`);
    expect(xml).not.toContain("/etc/s");
    const actual = parsePoolXml(xml);
    expect(diffPool(isc, actual)).toEqual([]);
    const changed = {
      ...isc,
      source: { ...isc.source, initiator: "iqn.2026-01.lab:k", chap: { username: "v", secretFile: "/etc/s" } },
    };
    expect(diffPool(changed, actual)).toEqual([
      { field: "source.initiator", from: null, to: "iqn.2026-01.lab:k", disruption: "restart" },
      { field: "source.chap.username", from: "u", to: "v", disruption: "restart" },
    ]);
  });
});

describe("poolTargets: what two pools may not share", () => {
  it("a directory, a device, an export; never disk's /dev or iscsi's /dev/disk/by-path", () => {
    expect(poolTargets({ type: "fs", path: "/srv/p", source: { device: "/dev/vdb" } }).map((t) => t.key)).toEqual([
      "path:/srv/p",
      "device:/dev/vdb",
    ]);
    expect(poolTargets({ type: "disk", path: "/dev", source: { device: "/dev/vdb" } }).map((t) => t.key)).toEqual([
      "device:/dev/vdb",
    ]);
    expect(
      poolTargets({ type: "iscsi", path: "/dev/disk/by-path", source: { host: "h", target: "t" } }).map((t) => t.key),
    ).toEqual(["iscsi:h:t"]);
  });
});

describe("secret files", () => {
  it("0600 and 0400 are read; any group or other bit is refused with host and path, never the content", async () => {
    expect((await readSecretFile(secretFile(dir, "a", "s3cret", 0o600), "h1")).toString()).toBe("s3cret");
    expect((await readSecretFile(secretFile(dir, "b", "s3cret", 0o400), "h1")).toString()).toBe("s3cret");
    for (const mode of [0o640, 0o604, 0o620, 0o601, 0o644]) {
      const p = secretFile(dir, `m${mode.toString(8)}`, "s3cret", mode);
      const err = await readSecretFile(p, "h1").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretFileError);
      expect((err as Error).message).toMatch(new RegExp(`^host h1: secret file ${p} is accessible by `));
      expect((err as Error).message).not.toContain("s3cret");
    }
  });

  it("a folder, an empty file are refused", async () => {
    await expect(readSecretFile(dir, "h1")).rejects.toThrow("is not a regular file");
    await expect(readSecretFile(secretFile(dir, "empty", "", 0o600), "h1")).rejects.toThrow("is empty");
  });

  it("a CHAP file loses its trailing line breaks; a Ceph key is base64-decoded", async () => {
    const isc = poolSecretOf({
      name: "i",
      type: "iscsi",
      source: {
        host: "h",
        target: "iqn.2026-01.lab:t",
        chap: { username: "u", secretFile: secretFile(dir, "c", "pw\r\n", 0o600) },
      },
    })!;
    expect((await poolSecretValue(isc, "h1")).toString()).toBe("pw");
    const key = Buffer.from("0123456789abcdef");
    const rbd = poolSecretOf({
      name: "r",
      type: "rbd",
      source: {
        hosts: ["m"],
        name: "p",
        auth: { username: "u", secretFile: secretFile(dir, "k", `${key.toString("base64")}\n`, 0o400) },
      },
    })!;
    expect(rbd.secret).toEqual({
      usage: "ceph",
      usageId: "virtfleet-pool-r",
      description: "virtfleet pool/r cephx key",
    });
    expect(await poolSecretValue(rbd, "h1")).toEqual(key);
    expect(poolSecretOf({ name: "d", type: "dir", source: undefined })).toBeNull();
  });
});
