/**
 * A running controller (plaintext, loopback) whose watched policies folder gets files that
 * must not leak (issue 21 item 13) and a bad inventory (item 17):
 * - `ln -s <secret outside> policies/x.yaml` is refused unread;
 * - a shadow-like file inside the folder is rejected with one issue quoting none of it;
 * - neither secret appears in `policies --json`, the controller's log or any file of its
 *   data folder (the SQLite database and its -wal/-shm);
 * - an inventory host pattern too large to list is a rejected load with its position, shown
 *   by `policies --json` and logged with line and column.
 * No libvirt object is created.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startController, type StartedController } from "../harness/fleet.js";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";

const data = tempDir("vft-policy-leaks-");
const policiesDir = join(data.path, "policies");
const dataDir = join(data.path, "controller");
mkdirSync(policiesDir);
let controller: StartedController;

const TOKEN = `S3cretToken${randomBytes(8).toString("hex")}`;
const HASH_BODY = randomBytes(24).toString("hex");
const INSIDE_TOKEN = `Inside${randomBytes(8).toString("hex")}`;
const SECRETS = [TOKEN, HASH_BODY, INSIDE_TOKEN];
const outsideFile = join(data.path, "shadow");
writeFileSync(outsideFile, `root:$6$saltsalt$${HASH_BODY}:19000:0:99999:7:::\nsvc:${TOKEN}:19000:0:99999:7:::\n`);

interface PoliciesView {
  policies: { name: string }[];
  errors: string[];
}
const seen: string[] = [];

async function policiesJson(): Promise<PoliciesView> {
  const r = await runCli(["policies", "--json", "--controller", controller.address, "--insecure"]);
  seen.push(r.stdout, r.stderr);
  if (r.code !== 0) throw new Error(`policies --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PoliciesView;
}

async function rejectedWith(pattern: RegExp): Promise<PoliciesView> {
  return waitFor(`a rejection matching ${pattern}`, async () => {
    const v = await policiesJson();
    return v.errors.some((e) => pattern.test(e)) ? v : undefined;
  });
}

async function accepted(): Promise<void> {
  await waitFor("an accepted load", async () => ((await policiesJson()).errors.length === 0 ? true : undefined));
}

beforeAll(async () => {
  writeFileSync(
    join(policiesDir, "good.yaml"),
    stringify({ apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name: "good" }, spec: { resources: {} } }),
  );
  controller = await startController({ dataDir, policiesDir });
  await waitFor("policy good in force", async () => (await policiesJson()).policies.find((p) => p.name === "good"));
});

afterAll(async () => {
  await stopAll();
  data.cleanup();
});

describe("files that must not leak through the policies folder", () => {
  it("a symbolic link to a file outside the folder is refused unread", async () => {
    symlinkSync(outsideFile, join(policiesDir, "x.yaml"));
    const view = await rejectedWith(/x\.yaml/);
    expect(view.errors).toEqual([
      `${policiesDir}/x.yaml:1:1: a symbolic link that leads outside the policies folder; refused unread (a policy file, or the link's target, must be inside the folder)`,
    ]);
    expect(view.policies.map((p) => p.name)).toEqual(["good"]);
    rmSync(join(policiesDir, "x.yaml"));
    await accepted();
  });

  it("a shadow-like file inside the folder is rejected without quoting it", async () => {
    writeFileSync(join(policiesDir, "creds.yaml"), `deploy:${INSIDE_TOKEN}:19000::\nops:$6$saltsalt$${HASH_BODY}:::\n`);
    const view = await rejectedWith(/creds\.yaml/);
    expect(view.errors).toEqual([
      `${policiesDir}/creds.yaml:1:1: not a virtfleet policy document: a mapping with "apiVersion: virtfleet/v1" and "kind: Policy" is expected (the content of this file is not quoted)`,
    ]);
    rmSync(join(policiesDir, "creds.yaml"));
    await accepted();
  });

  it("no secret in policies --json, the controller's log or its data folder (database, -wal, -shm)", async () => {
    const places: [string, string][] = [
      ["policies --json", seen.join("\n")],
      ["controller stdout", controller.proc.stdout],
      ["controller log", controller.proc.stderr],
    ];
    for (const name of readdirSync(dataDir, { recursive: true }) as string[]) {
      try {
        places.push([name, readFileSync(join(dataDir, name)).toString("latin1")]);
      } catch {
        // a folder
      }
    }
    expect(places.map(([n]) => n)).toEqual(expect.arrayContaining([expect.stringMatching(/\.db$/)]));
    for (const [where, text] of places)
      for (const secret of SECRETS) expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
    // The rejections were seen and logged, so the search above looked at the right places.
    expect(controller.proc.stderr).toContain("creds.yaml");
  });
});

describe("a bad inventory.yaml (item 17)", () => {
  it("a host pattern too large to list: policies --json shows the error with its position, the log has line and column", async () => {
    writeFileSync(join(policiesDir, "inventory.yaml"), 'hosts:\n  "web[1:99999]": {}\n');
    const view = await rejectedWith(/inventory\.yaml/);
    expect(view.errors).toEqual([
      `${policiesDir}/inventory.yaml:2:3: hosts["web[1:99999]"]: host pattern "web[1:99999]" expands to 99999 names (limit 65536)`,
    ]);
    const logged = controller.proc.logs().find((l) => l.file === join(policiesDir, "inventory.yaml"));
    expect(logged).toMatchObject({ line: 2, col: 3 });
    rmSync(join(policiesDir, "inventory.yaml"));
    await accepted();
  });
});
