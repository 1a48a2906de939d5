import { writeFileSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startAgent, startController, waitForHost, type HostJsonView } from "../harness/fleet.js";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";

const dirs: { cleanup: () => void }[] = [];
afterEach(stopAll);
afterAll(() => dirs.forEach((d) => d.cleanup()));

function dir(): string {
  const d = tempDir("vft-e2e-sel-");
  dirs.push(d);
  return d.path;
}

const tag = process.pid;
const WEB1 = `vft-web1-${tag}`;
const DB1 = `vft-db1-${tag}`;
const LONE = `vft-lone-${tag}`;

/** web (pattern with a range) and db nested under prod; host labels; LONE listed nowhere. */
const INVENTORY = `groups:
  web:
    hosts: ["vft-web[1:2]-${tag}"]
    labels: {tier: web}
  db:
    hosts: [${DB1}]
    labels: {tier: db}
  prod:
    children: [web, db]
    labels: {env: prod}
hosts:
  ${WEB1}: {labels: {rack: r1}}
  ${DB1}: {labels: {rack: r2}}
`;

describe("hosts --group / --selector against a real controller and agents", () => {
  it("shows the inventory resolution and filters by groups (nested, ungrouped), labels, facts and names; bad input exits 2", async () => {
    const data = dir();
    const policies = join(data, "policies");
    mkdirSync(policies);
    writeFileSync(join(policies, "inventory.yaml"), INVENTORY); // inventory only: nothing for the agents to converge
    const c = await startController({ dataDir: join(data, "controller"), policiesDir: policies });
    for (const name of [WEB1, DB1, LONE])
      startAgent({ controller: c.address, name, stateDir: join(data, name), maxBackoff: "1s" });
    const lone = await waitForHost(c.address, LONE, true);
    await waitForHost(c.address, WEB1, true);
    await waitForHost(c.address, DB1, true);
    const threads = lone.facts.cpu.threads as number;
    expect(threads).toBeGreaterThan(0);

    const cli = (...args: string[]) => runCli(["hosts", ...args, "--controller", c.address, "--insecure"]);
    const select = async (...args: string[]): Promise<HostJsonView[]> => {
      const r = await cli(...args, "--json");
      if (r.code !== 0) throw new Error(`hosts ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as HostJsonView[];
    };
    const names = async (...args: string[]) => (await select(...args)).map((h) => h.name).sort();

    // The resolution itself, in --json.
    const all = new Map((await select()).map((h) => [h.name, h]));
    expect(all.get(WEB1)).toMatchObject({
      groups: ["all", "prod", "web"],
      labels: { env: "prod", tier: "web", rack: "r1" },
    });
    expect(all.get(DB1)).toMatchObject({
      groups: ["all", "prod", "db"],
      labels: { env: "prod", tier: "db", rack: "r2" },
    });
    expect(all.get(LONE)).toMatchObject({ groups: ["all", "ungrouped"], labels: {} });

    expect(await names("--group", "web")).toEqual([WEB1]);
    expect(await names("--group", "prod")).toEqual([DB1, WEB1].sort()); // nested children
    expect(await names("--group", "ungrouped")).toEqual([LONE]);
    expect(await names("--group", "all")).toEqual([DB1, LONE, WEB1].sort());
    expect(await names("--selector", "rack=r1")).toEqual([WEB1]);
    expect(await names("--selector", "env=prod,tier=db")).toEqual([DB1]);
    expect(await names("--selector", "rack!=r1")).toEqual([DB1, LONE].sort());
    expect(await names("--selector", `facts.cpu.threads=${threads}`)).toEqual([DB1, LONE, WEB1].sort());
    expect(await names("--selector", `facts.cpu.threads=${threads + 1}`)).toEqual([]);
    expect(
      await names("--group", "prod", "--selector", `facts.cpu.threads=${threads},name~=vft-web[1:3]-${tag}`),
    ).toEqual([WEB1]);
    expect(
      await names("--selector", `facts.cpu.virtualization=${String(lone.facts.cpu.virtualization)},group!=prod`),
    ).toEqual([LONE]);

    // The human table gains GROUPS (without `all`).
    const table = await cli("--group", "prod");
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/\sGROUPS$/);
    expect(table.stdout).toMatch(new RegExp(`${WEB1}\\s+connected.*\\sprod,web\\n`));
    expect(table.stdout).not.toContain(LONE);
    const none = await cli("--selector", "rack=nowhere");
    expect(none).toMatchObject({ code: 0, stdout: "No hosts match.\n" });

    // Bad input: exit 2 with a message naming the problem.
    const bad = await cli("--selector", "rack=r1,tier", "--json");
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain('bad selector term "tier"');
    const unknown = await cli("--group", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown group nope (known: all, ungrouped, db, prod, web)");
    const unknownTerm = await cli("--selector", "group=nope");
    expect(unknownTerm.code).toBe(2);
    expect(unknownTerm.stderr).toContain("unknown group nope");

    // The resolution follows the inventory in force: move LONE into db.
    writeFileSync(join(policies, "inventory.yaml"), INVENTORY.replace(`hosts: [${DB1}]`, `hosts: [${DB1}, ${LONE}]`));
    await waitFor(
      "LONE to resolve into db",
      async () => ((await names("--group", "db")).includes(LONE) ? true : undefined),
      15_000,
      200,
    );
    expect(await names("--group", "ungrouped")).toEqual([]);
    expect(await names("--group", "prod")).toEqual([DB1, LONE, WEB1].sort());
  }, 90_000);
});
