/**
 * Secrets through `virtfleet apply --local` against the real libvirtd: a guest with a
 * cloud-init password hash is converged, dry-run against a new hash, and refused with a
 * plaintext password; no output (stdout JSON, stderr logs at debug level) ever holds a hash
 * or the plaintext, a changed hash is reported by field with "[redacted]" values, and the
 * seed ISO on disk is not world-readable. Hostile paths are refused before anything is
 * created. Objects are named with the test prefix and removed in afterAll.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { seedGuestDocument } from "../../harness/specs.js";
import { cleanupPrefix, testPrefix, virsh } from "../../harness/virsh.js";

const prefix = testPrefix();
const dir = tempDir("vft-secrets-");
chmodSync(dir.path, 0o755);
const policies = join(dir.path, "policies");
mkdirSync(policies);
const poolPath = join(dir.path, "pool");
const pool = `${prefix}pool`;
const guest = `${prefix}ci`;

/** A SHA-512 crypt hash with a random body, unique to this run (so a match cannot be a coincidence). */
function cryptHash(): string {
  const alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const body = [...randomBytes(86)].map((b) => alphabet[b % 64]).join("");
  return `$6$vft${randomBytes(4).toString("hex")}$${body}`;
}

const HASH_1 = cryptHash();
const HASH_2 = cryptHash();
const PLAINTEXT = `plain-${randomBytes(6).toString("hex")}`;
const SECRETS = [HASH_1, HASH_2, PLAINTEXT, HASH_1.slice(3, 30), HASH_2.slice(3, 30)];

function write(passwordHash: string, poolDir = poolPath): void {
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "secrets" },
    spec: {
      resources: {
        pools: [{ name: pool, path: poolDir, state: "active" }],
        volumes: [{ name: `${guest}.qcow2`, pool, capacity: "16MiB" }],
        domains: [
          seedGuestDocument(pool, guest, {
            hostname: "ci",
            users: [{ name: "ops", passwordHash, sudo: "ALL=(ALL) NOPASSWD:ALL" }],
          }),
        ],
      },
    },
  };
  writeFileSync(join(policies, "secrets.yaml"), stringify(doc));
}

async function apply(...flags: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runCli(["apply", policies, "--local", "--json", "--name", "vft-host", ...flags]);
  for (const s of SECRETS) {
    expect(r.stdout, "stdout").not.toContain(s);
    expect(r.stderr, "stderr (logs)").not.toContain(s);
  }
  return r;
}

afterAll(async () => {
  await cleanupPrefix(prefix);
  dir.cleanup();
  expect(await virsh("list", "--all", "--name")).not.toContain(prefix);
  expect(await virsh("pool-list", "--all", "--name")).not.toContain(prefix);
});

describe("secrets through apply --local", () => {
  it("converges a guest with a password hash; nothing printed or logged holds it", async () => {
    write(HASH_1);
    const r = await apply();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { resources: { name: string; outcome: string }[] };
    expect(doc.resources.map((x) => x.outcome)).not.toContain("failed");
  });

  it("the seed ISO holding the hash is not world-readable (0640 root:QEMU's group)", () => {
    const st = statSync(join(poolPath, `${guest}-cidata.iso`));
    expect(st.mode & 0o007).toBe(0);
    expect(st.mode & 0o777).toBe(0o640);
    const group = readFileSync("/etc/group", "utf8")
      .split("\n")
      .find((l) => l.startsWith("libvirt-qemu:"));
    if (group) expect(st.gid).toBe(Number(group.split(":")[2]));
  });

  it("a new hash: the dry-run names the field and shows [redacted] on both sides", async () => {
    write(HASH_2);
    const r = await apply("--dry-run");
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as {
      resources: { name: string; outcome: string; changes: { field: string; from: unknown; to: unknown }[] }[];
    };
    const seed = doc.resources.find((x) => x.name === `${pool}/${guest}-cidata.iso`)!;
    expect(seed.outcome).toBe("drift");
    expect(seed.changes).toContainEqual(
      expect.objectContaining({ field: "cloudInit.users[ops].passwordHash", from: "[redacted]", to: "[redacted]" }),
    );
    expect((await apply()).code).toBe(0);
  });

  it("a plaintext password in passwordHash is refused (exit 2) without quoting it", async () => {
    write(PLAINTEXT);
    const r = await apply();
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/passwordHash: invalid value "\[redacted\]": a crypt\(3\) hash/);
    const v = await runCli(["policy", "validate", policies, "--json"]);
    expect(v.code).toBe(2);
    expect(v.stdout + v.stderr).not.toContain(PLAINTEXT);
  });

  it("a pool path that escapes is refused with file:line:col and nothing is created", async () => {
    write(HASH_2, `${dir.path}/../../etc/vft-${prefix}`);
    const r = await apply();
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(
      /secrets\.yaml:\d+:\d+: spec\.resources\.pools\[0\]\.path: .* must not contain "\.\."/,
    );
    write(HASH_2);
  });
});
