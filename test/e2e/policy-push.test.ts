import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { auditNetworkPolicyYaml } from "../harness/specs.js";

/**
 * `virtfleet policy push DIR` against a real controller that runs without a policies folder
 * (`--no-policies-folder`, SQLite store): pushed revisions are stored and in force; a broken
 * folder is refused with file:line:col errors (exit 2) and the previous revision stays.
 */
const work = tempDir("vft-push-e2e-");
const pushDir = join(work.path, "to-push");
const policyName = `vft-push-${process.pid}`;
const secretMarker = `vft-push-marker-${process.pid}`;
let controller: { proc: Proc; address: string };

const policy = (bridge: string) =>
  `# ${secretMarker}\n${auditNetworkPolicyYaml(policyName, `vft-push-net-${process.pid}`.slice(0, 30), bridge)}`;

async function start(name: string, extra: string[]): Promise<{ proc: Proc; address: string }> {
  const proc = spawnCli([
    "controller",
    "--listen",
    "127.0.0.1:0",
    "--data",
    join(work.path, name),
    "--insecure",
    "--no-web",
    "--plan-timeout",
    "0s",
    ...extra,
  ]);
  const address = await waitFor(
    `controller ${name} to listen`,
    () => {
      if (!proc.running) throw new Error(`controller exited: ${proc.stderr}`);
      return /listening on (\S+)/.exec(proc.stdout)?.[1];
    },
    15_000,
    50,
  );
  return { proc, address };
}

const cli = (controllerAddress: string, ...args: string[]) =>
  runCli([...args, "--controller", controllerAddress, "--insecure"]);

async function inForce(): Promise<{ name: string; revision: string; generation: number }[]> {
  const r = await cli(controller.address, "policies", "--json");
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { policies: { name: string; revision: string; generation: number }[] }).policies;
}

beforeAll(async () => {
  mkdirSync(pushDir, { recursive: true });
  controller = await start("store-only", ["--no-policies-folder"]);
});
afterAll(async () => {
  await stopAll();
  work.cleanup();
});

describe("virtfleet policy push", () => {
  it("stores a folder's policies as revisions in force; --json names what it created", async () => {
    writeFileSync(join(pushDir, "web.yaml"), policy("vftpbr1"));
    writeFileSync(join(pushDir, "inventory.yaml"), "groups:\n  web:\n    hosts: [h1]\n");
    writeFileSync(join(pushDir, "README.md"), "not a policy file: not pushed\n");
    const r = await cli(controller.address, "policy", "push", pushDir, "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      accepted: boolean;
      created: { policy: string; generation: number; revision: string }[];
      inventoryChanged: boolean;
    };
    expect(report).toMatchObject({ accepted: true, removed: [], inventoryChanged: true, errors: [] });
    expect(report.created.map((c) => [c.policy, c.generation])).toEqual([[policyName, 1]]);
    expect(await inForce()).toMatchObject([{ name: policyName, generation: 1, revision: report.created[0]!.revision }]);

    // the same folder again: nothing changes (human output)
    const again = await cli(controller.address, "policy", "push", pushDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("no change");

    // a change: a new generation, printed
    writeFileSync(join(pushDir, "web.yaml"), policy("vftpbr2"));
    const changed = await cli(controller.address, "policy", "push", pushDir);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(new RegExp(`created ${policyName} revision \\S+ \\(generation 2\\)`));
  });

  it("a broken folder: exit 2 with DIR/file:line:col errors, nothing stored, the previous revision stays in force", async () => {
    const before = await inForce();
    writeFileSync(join(pushDir, "web.yaml"), `${policy("vftpbr3")}  bogus: 1\n`);
    const r = await cli(controller.address, "policy", "push", pushDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${join(pushDir, "web.yaml").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+: spec`),
    );
    expect(r.stderr).toContain("nothing stored; the previous revisions stay in force");
    const json = await cli(controller.address, "policy", "push", pushDir, "--json");
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as { accepted: boolean; errors: { file: string; line: number }[] };
    expect(doc.accepted).toBe(false);
    expect(doc.errors[0]!.file).toBe(join(pushDir, "web.yaml"));
    expect(doc.errors[0]!.line).toBeGreaterThan(0);
    expect(await inForce()).toEqual(before);
  });

  it("is audited without the files' contents", async () => {
    const r = await cli(controller.address, "audit", "--json");
    expect(r.code, r.stderr).toBe(0);
    const pushes = (JSON.parse(r.stdout) as { action: string; detail: Record<string, unknown> }[]).filter(
      (a) => a.action === "policy.push",
    );
    expect(pushes.length).toBeGreaterThanOrEqual(4);
    expect(pushes[0]!.detail).toMatchObject({ files: "inventory.yaml,web.yaml", accepted: true });
    expect(r.stdout).not.toContain(secretMarker);
  });

  it("refused (exit 4) by a controller that loads a policies folder; bad input exits 2", async () => {
    const folder = join(work.path, "folder");
    mkdirSync(folder, { recursive: true });
    const withFolder = await start("with-folder", ["--policies", folder]);
    writeFileSync(join(pushDir, "web.yaml"), policy("vftpbr4"));
    const refused = await cli(withFolder.address, "policy", "push", pushDir);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("which is the source of truth");
    await withFolder.proc.stop();

    const missing = await cli(controller.address, "policy", "push", join(work.path, "nope"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("is not a folder");

    const both = await runCli([
      "controller",
      "--listen",
      "127.0.0.1:0",
      "--data",
      join(work.path, "both"),
      "--insecure",
      "--no-web",
      "--policies",
      folder,
      "--no-policies-folder",
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--no-policies-folder: excludes --policies");
  });
});
