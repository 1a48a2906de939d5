/**
 * Files that must not leak through policy errors (issue 21 items 13 and 17): a symbolic link
 * from the policies folder to a file outside it is refused unread; a file inside the folder
 * that is not a virtfleet document gets one issue quoting none of its content; quoted keys
 * are scrubbed and clipped in messages and field paths alike. Loader defects: a file over the
 * size limit is reported at 1:1, an inventory host pattern that cannot be expanded is an
 * issue at its position, not an exception.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { loadPolicies, POLICY_LIMITS } from "../../../common/index.js";
import { readPolicyFolder } from "../../../controller/policies/index.js";
import { tempDir } from "../../harness/processes.js";
import { lines, load, policy } from "../policy/helpers.js";

const tmp = tempDir("vft-policy-leaks-");
afterAll(() => tmp.cleanup());

const TOKEN = `S3cretToken${randomBytes(8).toString("hex")}`;
const HASH_BODY = randomBytes(24).toString("hex");
/** Shaped like /etc/shadow: each line parses as a YAML key (it ends with ":"). */
const SHADOW = `root:$6$saltsalt$${HASH_BODY}:19000:0:99999:7:::\nsvc:${TOKEN}:19000:0:99999:7:::\n`;

function assertNoSecret(value: unknown): void {
  const text = JSON.stringify(value);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(HASH_BODY);
  expect(text).not.toContain("saltsalt");
  expect(text).not.toContain("svc:");
}

describe("symbolic links in the policies folder", () => {
  const secret = `${tmp.path}/outside/shadow`;
  mkdirSync(`${tmp.path}/outside`);
  writeFileSync(secret, SHADOW);

  it("a link to a file outside the folder is refused unread, by the loader and the controller's folder read", async () => {
    const dir = `${tmp.path}/linked`;
    mkdirSync(dir);
    writeFileSync(`${dir}/good.yaml`, policy("good", "    {}\n"));
    symlinkSync(secret, `${dir}/x.yaml`);
    const r = await loadPolicies([dir]);
    expect(lines(r)).toEqual([
      `${dir}/x.yaml:1:1: : a symbolic link that leads outside the policies folder; refused unread (a policy file, or the link's target, must be inside the folder)`,
    ]);
    expect(r.policies.map((p) => p.name)).toEqual(["good"]);
    assertNoSecret(r);
    const folder = await readPolicyFolder(dir);
    expect(folder.sources.map((s) => s.file)).toEqual([`${dir}/good.yaml`]);
    expect(folder.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^a symbolic link that leads outside/)]);
    assertNoSecret(folder);
  });

  it("a link through a linked folder that leads outside is refused too; `policy validate FILE` of the link itself still reads it", async () => {
    const dir = `${tmp.path}/via-dir`;
    mkdirSync(dir);
    symlinkSync(`${tmp.path}/outside`, `${dir}/..data`);
    symlinkSync("..data/shadow", `${dir}/x.yaml`);
    const r = await loadPolicies([dir]);
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^a symbolic link that leads outside/)]);
    assertNoSecret(r);
    // A file named on the command line is the operator's choice: read (and not quoted).
    const named = await loadPolicies([`${dir}/x.yaml`]);
    expect(named.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^not a virtfleet policy document/)]);
    assertNoSecret(named);
  });

  it("links that stay inside the folder (the Kubernetes ConfigMap layout) are read", async () => {
    const dir = `${tmp.path}/configmap`;
    mkdirSync(`${dir}/..2026_12_06`, { recursive: true });
    writeFileSync(`${dir}/..2026_12_06/p.yaml`, policy("from-configmap", "    {}\n"));
    symlinkSync("..2026_12_06", `${dir}/..data`);
    symlinkSync("..data/p.yaml", `${dir}/p.yaml`);
    const r = await loadPolicies([dir]);
    expect(lines(r)).toEqual([]);
    expect(r.policies.map((p) => p.name)).toEqual(["from-configmap"]);
    // The link swapped to point outside is caught on the next read.
    mkdirSync(`${tmp.path}/outside2`);
    writeFileSync(`${tmp.path}/outside2/p.yaml`, SHADOW);
    symlinkSync(`${tmp.path}/outside2`, `${dir}/..tmp`);
    renameSync(`${dir}/..tmp`, `${dir}/..data`);
    const again = await readPolicyFolder(dir);
    expect(again.sources).toEqual([]);
    expect(again.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^a symbolic link that leads outside/)]);
    assertNoSecret(again);
  });
});

describe("content of a file that is not a virtfleet document is never quoted", () => {
  it("a shadow-like file inside the folder: one issue, no line of it quoted", () => {
    const r = load({ "creds.yaml": SHADOW });
    expect(lines(r)).toEqual([
      'creds.yaml:1:1: : not a virtfleet policy document: a mapping with "apiVersion: virtfleet/v1" and "kind: Policy" is expected (the content of this file is not quoted)',
    ]);
    assertNoSecret(r.errors);
  });

  it("the same as inventory.yaml; a scalar or a list (a key file, an .env line) likewise", () => {
    const r = load({}, SHADOW);
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^not a virtfleet inventory/)]);
    assertNoSecret(r.errors);
    const scalar = load({ "key.yaml": `-----BEGIN OPENSSH KEY-----\n${TOKEN}\n-----END OPENSSH KEY-----\n` });
    expect(scalar.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^not a virtfleet policy document/)]);
    const list = load({ "env.yaml": `- API_KEY=${TOKEN}\n` });
    expect(list.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^not a virtfleet policy document/)]);
    assertNoSecret([scalar.errors, list.errors]);
  });

  it("a policy with a hash-shaped or huge unknown key: scrubbed and clipped in the message and the field path", () => {
    const key = `x:$6$saltsalt$${HASH_BODY}:${"y".repeat(500)}`;
    const r = load({ "p.yaml": `${policy("p", "    {}\n")}  ${JSON.stringify(key)}: 1\n` });
    expect(r.errors).toHaveLength(1);
    const [e] = r.errors;
    // 64 characters of the scrubbed key, then "…".
    expect(e.path).toBe(`spec[${JSON.stringify(`x:[redacted]:${"y".repeat(64 - 13)}…`)}]`);
    expect(e.message).toMatch(/^unknown field "x:\[redacted\]:y+…"/);
    assertNoSecret(r.errors);
    expect(JSON.stringify(r.errors)).not.toContain("y".repeat(100));
  });

  it("a duplicate key is quoted scrubbed and clipped", () => {
    const key = `k$6$saltsalt$${HASH_BODY}${"z".repeat(300)}`;
    const r = load({ "d.yaml": `${JSON.stringify(key)}: 1\n${JSON.stringify(key)}: 2\n` });
    expect(r.errors.map((e) => e.message)).toEqual([
      'YAML syntax: duplicate key "k[redacted]" (first at line 1); keys must be unique',
    ]);
    const long = load({
      "d.yaml": `${"w".repeat(300)}: 1
${"w".repeat(300)}: 2
`,
    });
    expect(long.errors.map((e) => e.message)).toEqual([
      `YAML syntax: duplicate key "${"w".repeat(64)}…" (first at line 1); keys must be unique`,
    ]);
    assertNoSecret(r.errors);
  });
});

describe("loader defects (item 17)", () => {
  it("a file over the size limit is reported at 1:1", async () => {
    const dir = `${tmp.path}/big`;
    mkdirSync(dir);
    writeFileSync(`${dir}/big.yaml`, `# ${"x".repeat(POLICY_LIMITS.fileBytes)}\n`);
    const r = await loadPolicies([dir]);
    expect(r.errors).toEqual([expect.objectContaining({ file: `${dir}/big.yaml`, line: 1, col: 1 })]);
  });

  it("an inventory host pattern too large to list is an issue at its position, not an exception", () => {
    const r = load(
      { "p.yaml": policy("p", "    {}\n") },
      'groups:\n  web:\n    hosts: ["web[1:99999]"]\nhosts:\n  "db[1:70000]": {}\n',
    );
    expect(lines(r)).toEqual([
      'inventory.yaml:3:13: groups.web.hosts[0]: host pattern "web[1:99999]" expands to 99999 names (limit 65536)',
      'inventory.yaml:5:3: hosts["db[1:70000]"]: host pattern "db[1:70000]" expands to 70000 names (limit 65536)',
    ]);
  });
});
