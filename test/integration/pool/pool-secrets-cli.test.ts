/**
 * `virtfleet apply --local` (the built CLI, a real process) with pools whose credentials come
 * from secret files, at debug log level: neither --json nor the human output nor the logs on
 * stderr ever hold a file's content — in a dry-run, an apply, a re-check, and when a file is
 * refused for its mode (then the error names the host and the path, and the exit is not 0).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { virsh, virshResult } from "../../harness/virsh.js";
import { removePools } from "./pool-run.js";

const prefix = `vft-pl-${randomBytes(3).toString("hex")}-`;
const dir = tempDir("vft-pl-cli-");
const policies = join(dir.path, "policies");
const chapFile = join(dir.path, "chap");
const cephFile = join(dir.path, "ceph.key");
const chap = `chap-${randomBytes(12).toString("hex")}`;
const cephKey = randomBytes(16);
const SECRETS = [chap, cephKey.toString("base64"), cephKey.toString("hex")];
const isc = `${prefix}isc`;
const rbd = `${prefix}rbd`;
const outputs: string[] = [];

function write(): void {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "pool-secrets" },
    spec: {
      resources: {
        pools: [
          {
            name: isc,
            type: "iscsi",
            state: "inactive",
            source: {
              host: "san1.lab",
              target: `iqn.2026-01.lab:${prefix}guests`,
              chap: { username: "kvm01", secretFile: chapFile },
            },
          },
          {
            name: rbd,
            type: "rbd",
            state: "inactive",
            source: {
              hosts: ["mon1.lab:6789"],
              name: `${prefix}rbd`,
              auth: { username: "libvirt", secretFile: cephFile },
            },
          },
        ],
      },
    },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "pools.yaml"), stringify(doc));
}

async function apply(...extra: string[]) {
  const r = await runCli(["apply", policies, "--local", ...extra], { VIRTFLEET_LOG_LEVEL: "debug" });
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function secretUuids(): Promise<string[]> {
  const out: string[] = [];
  for (const line of (await virsh("secret-list")).split("\n")) {
    const m = /^\s*([0-9a-f-]{36})\s+\S+\s+virtfleet-pool-(\S+)/.exec(line);
    if (m && m[2]!.startsWith(prefix)) out.push(m[1]!);
  }
  return out;
}

afterAll(async () => {
  await removePools([isc, rbd]);
  for (const u of await secretUuids()) await virshResult("secret-undefine", u);
  dir.cleanup();
});

describe("apply --local with secret files", () => {
  it("dry-run, apply, re-check: the secrets are set, and shown only as the file they come from", async () => {
    writeFileSync(chapFile, `${chap}\n`, { mode: 0o600 });
    writeFileSync(cephFile, cephKey.toString("base64"), { mode: 0o400 });
    write();
    const plan = await apply("--dry-run", "--json");
    expect(plan.code, plan.stderr).toBe(3);
    const changes = JSON.parse(plan.stdout).resources.flatMap((r: { changes: unknown[] }) => r.changes);
    expect(changes).toContainEqual(
      expect.objectContaining({ field: "source.chap.secret", to: `(content of ${chapFile})` }),
    );
    const done = await apply("--json");
    expect(done.code, done.stderr).toBe(0);
    expect(await secretUuids()).toHaveLength(2);
    const again = await apply("--dry-run");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const human = await apply();
    expect(human.code).toBe(0);
  });

  it("a world-readable file: an error naming the host and the path; nothing changed", async () => {
    writeFileSync(chapFile, `${chap}-new`);
    chmodSync(chapFile, 0o644);
    for (const extra of [["--dry-run", "--json"], ["--json"], []]) {
      const r = await apply(...extra);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(
        `host ${hostname()}: secret file ${chapFile} is accessible by group and others`,
      );
    }
    chmodSync(chapFile, 0o600);
    const plan = await apply("--dry-run", "--json");
    expect(plan.code).toBe(3); // the new content was not set while the file was refused
  });

  it("no output held a secret", () => {
    expect(outputs.join("").length).toBeGreaterThan(1000);
    for (const s of SECRETS) for (const o of outputs) expect(o).not.toContain(s);
    expect(outputs.join("")).not.toContain(`${chap}-new`);
  });
});
